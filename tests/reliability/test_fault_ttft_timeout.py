"""Scenario 4: the upstream's first token takes longer than the TTFT timeout: 504 in OpenAI's shape, and the
upstream request is closed."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from reliability.gateway_process import GatewayProcess, running_gateway
from reliability.openai_shape import assert_openai_error
from reliability.sse_client import chat_body

TTFT_TIMEOUT_S = 1.0


@pytest.fixture(scope="module")
def impatient_gateway(gateway_defaults, log_dir, upstream_session) -> Iterator[GatewayProcess]:
    settings = gateway_defaults(upstream_session.base_url, ttft_timeout=TTFT_TIMEOUT_S)
    with running_gateway(log_dir, **settings) as gateway:
        yield gateway


def test_slow_first_token_is_504_and_the_upstream_request_is_closed(impatient_gateway, upstream):
    first_token_s = 30.0  # every attempt is slow; the slow path is waiting this long for a first token
    upstream.control.set_faults(first_token_delay_s=first_token_s)
    started = time.time()
    response = httpx.post(impatient_gateway.base_url + "/chat/completions", json=chat_body(), timeout=30)
    answered = time.time()
    assert response.status_code == 504, response.text
    assert_openai_error(response.json(), code="upstream_timeout")

    deadline = time.monotonic() + first_token_s
    while time.monotonic() < deadline:
        stats = upstream.control.stats()
        if stats["active"] == 0 and len(stats["disconnects"]) >= stats["attempts"]:
            break
        time.sleep(0.05)
    attempts = stats["attempts"]
    assert attempts >= 1
    assert stats["active"] == 0, "an upstream request is still open"
    assert len(stats["disconnects"]) == attempts
    assert all(d["phase"] == "before_first_token" for d in stats["disconnects"])
    # Each attempt was given up after the TTFT timeout, not left to wait for the first token.
    assert all(d["at"] - answered < first_token_s for d in stats["disconnects"]), "upstream closed too late"
    assert answered - started < attempts * first_token_s
