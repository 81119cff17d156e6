"""Scenario 6: SIGTERM to the gateway under load. In-flight streams finish (within the drain timeout), new
connections are refused, and the process exits cleanly (status 0)."""

from __future__ import annotations

import asyncio
import signal
import time

import httpx
import pytest
from support.polling import wait_until
from synthetic_upstream.tokens import expected_text

from reliability.gateway_process import is_listening
from reliability.sse_client import StreamResult, chat_body, stream_chat

STREAMS = 20
TOKENS = 40
ITL_MS = 50  # each stream lasts about 2 s


async def poll(check, what: str) -> None:
    """Wait for `check` in a thread, so the streams on this event loop keep running meanwhile."""
    await asyncio.to_thread(wait_until, check, what=what)


@pytest.mark.parametrize("workers", [1, 2], ids=["1-worker", "2-workers"])
async def test_in_flight_streams_finish_new_connections_refused_clean_exit(make_gateway, upstream, workers):
    gateway = make_gateway(drain_timeout=10, workers=workers)
    upstream.control.set_timing(itl_ms=ITL_MS)
    limits = httpx.Limits(max_connections=STREAMS + 5)
    async with httpx.AsyncClient(timeout=30, limits=limits) as http:
        tasks = [
            asyncio.create_task(stream_chat(http, gateway.url, chat_body(max_tokens=TOKENS)))
            for _ in range(STREAMS)
        ]
        await poll(lambda: upstream.control.stats()["tokens_sent"] >= STREAMS * 3, "3 tokens of every stream")
        assert upstream.control.stats()["active"] == STREAMS, "every stream must be in flight at SIGTERM"

        gateway.signal(signal.SIGTERM)
        signalled = time.monotonic()
        await poll(lambda: not is_listening(gateway.port), "the gateway to stop accepting after SIGTERM")
        refused_at = time.monotonic()
        async with httpx.AsyncClient(timeout=2) as fresh:
            try:
                late = await fresh.get(gateway.url + "/health")
            except httpx.ConnectError:
                late = None
        assert late is None, f"a new connection was served after SIGTERM: {late.status_code}"

        results: list[StreamResult] = await asyncio.gather(*tasks)
        finished = time.monotonic()
    assert refused_at < finished, "new connections must be refused while streams are still draining"
    for result in results:
        assert result.status == 200 and result.errors == [] and result.done, result
        assert result.content == expected_text(TOKENS), "a drained stream lost or repeated tokens"
    code = await asyncio.to_thread(gateway.wait, 15)
    assert code == 0, gateway.stderr()[-2000:]
    assert time.monotonic() - signalled < 10 + 3
    assert "Traceback" not in gateway.stderr()


async def test_streams_longer_than_the_drain_timeout_are_cut_and_the_exit_is_bounded(make_gateway, upstream):
    gateway = make_gateway(drain_timeout=2)
    upstream.control.set_timing(itl_ms=100)  # 200 tokens: 20 s, far beyond the drain timeout
    async with httpx.AsyncClient(timeout=30) as http:
        task = asyncio.create_task(stream_chat(http, gateway.url, chat_body(max_tokens=200)))
        await poll(lambda: upstream.control.stats()["tokens_sent"] >= 3, "the stream to start")
        gateway.signal(signal.SIGTERM)
        signalled = time.monotonic()
        code = await asyncio.to_thread(gateway.wait, 15)
        exited = time.monotonic() - signalled
        outcome = await asyncio.gather(task, return_exceptions=True)
    assert exited < 2 + 3, f"exit took {exited:.1f} s with a 2 s drain timeout"
    assert code == 0, gateway.stderr()[-2000:]
    result = outcome[0]
    # the cut stream must not pretend to be complete
    assert isinstance(result, Exception) or not (result.done and result.errors == [])
    # Closed by the gateway's exit, not left to stream its 20 s to the end.
    await poll(lambda: upstream.control.stats()["active"] == 0, "the upstream request to end")
    stats = upstream.control.stats()
    assert stats["completed"] == 0 and len(stats["disconnects"]) == 1, "upstream request left open"
