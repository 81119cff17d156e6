"""Documented behaviour: the non-streaming total timeout, the per-client-IP rate limit without keys, and the
access log's 499 when the client leaves before the response is complete."""

import asyncio
import logging
import time

import httpx
import pytest
from support.inprocess import MODEL
from support.polling import wait_until
from support.sse import read_tokens

MESSAGES = [{"role": "user", "content": "revenue"}]


def chat(base_url: str, *, stream: bool, timeout: float = 60, **extra) -> httpx.Response:
    body = {"model": MODEL, "messages": MESSAGES, "max_tokens": 2, "stream": stream, **extra}
    return httpx.post(base_url + "/chat/completions", json=body, timeout=timeout)


def test_non_streaming_total_timeout_is_504(make_gateway, upstream):
    slow_answer_s = 30.0  # the slow path: waiting for the upstream's whole answer
    gateway = make_gateway(total_timeout=1.0, ttft_timeout=60, retries=0)
    upstream.control.set_faults(first_token_delay_s=slow_answer_s)
    started = time.monotonic()
    response = chat(gateway.base_url, stream=False)
    assert response.status_code == 504, response.text
    assert response.json()["error"]["code"] == "upstream_timeout"
    assert time.monotonic() - started < slow_answer_s


def test_non_streaming_requests_ignore_the_first_token_timeout(make_gateway, upstream):
    gateway = make_gateway(ttft_timeout=0.3, total_timeout=60, retries=0)
    upstream.control.set_faults(first_token_delay_s=1.5, delay_count=2)  # 5x the first-token timeout
    answered = chat(gateway.base_url, stream=False)
    assert answered.status_code == 200, answered.text
    assert answered.json()["choices"][0]["message"]["content"]
    # The same delay on a stream is a first-token timeout: the setting is live, only not for non-streaming.
    streamed = chat(gateway.base_url, stream=True)
    assert streamed.status_code == 504 or '"upstream_timeout"' in streamed.text, streamed.text


def test_rate_limit_without_keys_is_per_client_ip(make_gateway, upstream):
    gateway = make_gateway(rate_limit_per_minute=2)

    def models(source_ip: str) -> httpx.Response:
        transport = httpx.HTTPTransport(local_address=source_ip)
        with httpx.Client(transport=transport, timeout=30) as http:
            return http.get(gateway.base_url + "/models")

    assert [models("127.0.0.1").status_code for _ in range(2)] == [200, 200]
    limited = models("127.0.0.1")
    assert limited.status_code == 429, limited.text
    assert int(limited.headers["retry-after"]) >= 1
    # Another client address has its own bucket, untouched by the first one's requests.
    assert [models("127.0.0.2").status_code for _ in range(2)] == [200, 200]
    assert models("127.0.0.2").status_code == 429


def access_line(caplog: pytest.LogCaptureFixture) -> logging.LogRecord:
    """The access-log record of the test's one chat request, once it is written (polled)."""
    return wait_until(
        lambda: next(
            (
                r
                for r in caplog.records
                if r.name == "gateway.access" and "/chat/completions" in r.getMessage()
            ),
            None,
        ),
        what="the access log line of the abandoned request",
    )


def upstream_closed(upstream) -> dict:
    """Upstream stats once its request was closed and nothing is left running (polled)."""
    return wait_until(
        lambda: (stats := upstream.control.stats())["disconnects"] and not stats["active"] and stats,
        what="the upstream seeing its request closed",
    )


async def test_access_log_says_499_when_a_stream_is_left_mid_way(make_gateway, upstream, caplog):
    gateway = make_gateway()
    upstream.control.set_timing(itl_ms=50)  # 400 tokens: 20 s of stream left when the client goes
    body = {"model": MODEL, "messages": MESSAGES, "max_tokens": 400, "stream": True}
    with caplog.at_level(logging.INFO, logger="gateway.access"):
        async with (
            httpx.AsyncClient(timeout=30) as http,
            http.stream("POST", gateway.base_url + "/chat/completions", json=body) as r,
        ):
            assert r.status_code == 200
            assert await read_tokens(r, 3) == 3
        record = await asyncio.to_thread(access_line, caplog)
    assert record.status == 499, record.getMessage()
    assert " 499 " in record.getMessage()
    stats = upstream_closed(upstream)
    assert [d["phase"] for d in stats["disconnects"]] == ["streaming"] and stats["completed"] == 0


async def test_access_log_says_499_when_the_client_leaves_before_the_answer(make_gateway, upstream, caplog):
    # Far from the total timeout, so a 504 can only come from waiting the abandoned answer out.
    gateway = make_gateway(total_timeout=120, ttft_timeout=60, retries=0)
    upstream.control.set_faults(first_token_delay_s=60, delay_count=1)
    body = {"model": MODEL, "messages": MESSAGES, "max_tokens": 2, "stream": False}
    with caplog.at_level(logging.INFO, logger="gateway.access"):
        async with httpx.AsyncClient(timeout=120) as http:
            request = asyncio.create_task(http.post(gateway.base_url + "/chat/completions", json=body))
            await asyncio.to_thread(
                wait_until, lambda: upstream.control.stats()["active"], what="the upstream request"
            )
            request.cancel()
            await asyncio.gather(request, return_exceptions=True)
        record = await asyncio.to_thread(access_line, caplog)
    assert record.status == 499, record.getMessage()
    assert " 499 " in record.getMessage()
    # The upstream request was aborted with the client, not left to run into the timeout.
    stats = upstream_closed(upstream)
    assert len(stats["disconnects"]) == 1 and stats["completed"] == 0
