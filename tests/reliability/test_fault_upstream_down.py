"""Scenario 1: the upstream is not listening. 503 in OpenAI's shape with Retry-After, without waiting for
a connect timeout; /ready is 503 while /health stays 200."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest
from synthetic_upstream.testing import stop_process, upstream_command, wait_until_listening

from reliability.gateway_process import GatewayProcess, free_port, running_gateway
from reliability.openai_shape import assert_openai_error
from reliability.sse_client import MODEL, chat_body

# Long, so that an answer that waited for it cannot pass for a fast one on a busy machine.
CONNECT_TIMEOUT_S = 20.0


@pytest.fixture(scope="module")
def dead_port() -> int:
    """A loopback port nothing listens on (until the recovery test starts an upstream there)."""
    return free_port()


@pytest.fixture(scope="module")
def gateway_without_upstream(gateway_defaults, log_dir, dead_port) -> Iterator[GatewayProcess]:
    settings = gateway_defaults(
        f"http://127.0.0.1:{dead_port}/v1", model_cache_ttl=0, connect_timeout=CONNECT_TIMEOUT_S
    )
    with running_gateway(log_dir, **settings) as gateway:
        yield gateway


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "non-stream"])
def test_chat_is_a_fast_503_with_retry_after(gateway_without_upstream, stream):
    with httpx.Client(base_url=gateway_without_upstream.url, timeout=10) as http:
        started = time.monotonic()
        response = http.post("/v1/chat/completions", json=chat_body(stream=stream))
        elapsed = time.monotonic() - started
    assert response.status_code == 503, response.text
    # Fast means it did not wait for the slow path, a connect timeout (or several, with retries).
    assert elapsed < CONNECT_TIMEOUT_S, f"503 took {elapsed:.2f} s"
    assert int(response.headers["Retry-After"]) >= 1
    assert response.headers["content-type"].startswith("application/json")
    assert_openai_error(response.json(), code="upstream_unavailable")


def test_ready_is_503_while_health_stays_200(gateway_without_upstream):
    with httpx.Client(base_url=gateway_without_upstream.url, timeout=10) as http:
        assert http.get("/health").status_code == 200
        started = time.monotonic()
        ready = http.get("/ready")
        assert time.monotonic() - started < CONNECT_TIMEOUT_S
    assert ready.status_code == 503, ready.text


def test_gateway_recovers_when_the_upstream_comes_back(gateway_without_upstream, dead_port):
    with httpx.Client(base_url=gateway_without_upstream.url, timeout=10) as http:
        down = http.post("/v1/chat/completions", json=chat_body(stream=False, max_tokens=4))
        assert down.status_code == 503, down.text
        retry_after = float(down.headers["retry-after"])
    process = subprocess.Popen(upstream_command(dead_port, models=[MODEL], ttft_ms=5, itl_ms=1))
    try:
        wait_until_listening(f"http://127.0.0.1:{dead_port}", process=process)
        back_at = time.monotonic()
        with httpx.Client(base_url=gateway_without_upstream.url, timeout=10) as http:
            # The gateway remembers a failed probe briefly (so a down upstream costs nothing per request);
            # the contract is that a client honouring Retry-After gets an answer once the upstream is back.
            while True:
                response = http.post("/v1/chat/completions", json=chat_body(stream=False, max_tokens=4))
                if response.status_code != 503 or time.monotonic() - back_at > retry_after:
                    break
                time.sleep(0.2)
            assert response.status_code == 200, response.text
            assert response.json()["choices"][0]["message"]["content"] == "t0 t1 t2 t3"
            assert http.get("/ready").status_code == 200
    finally:
        stop_process(process)
