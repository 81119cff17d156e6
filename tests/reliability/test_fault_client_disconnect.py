"""Scenario 5 (synthetic upstream): the client disconnects mid-stream or before the first token; the upstream
sees its request closed long before it would have finished on its own."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
from support.polling import wait_until
from support.sse import content_token, read_tokens

from reliability.sse_client import chat_body


async def stats_after_a_disconnect(upstream) -> dict:
    """The upstream's counters once it has seen a request closed (polled in a thread; the loop runs on)."""
    await asyncio.to_thread(
        wait_until, lambda: upstream.control.stats()["disconnects"], what="the upstream to see a close"
    )
    return upstream.control.stats()


async def test_disconnect_mid_stream_closes_the_upstream_request(gateway, upstream):
    upstream.control.set_timing(itl_ms=50)
    async with httpx.AsyncClient(timeout=30) as http:
        async with http.stream(
            "POST", gateway.url + "/v1/chat/completions", json=chat_body(max_tokens=400)
        ) as r:
            assert r.status_code == 200
            assert await read_tokens(r, 3) == 3
        closed_at = time.time()
    stats = await stats_after_a_disconnect(upstream)
    assert len(stats["disconnects"]) == 1, stats["disconnects"]
    disconnect = stats["disconnects"][0]
    assert disconnect["phase"] == "streaming"
    rest_of_stream_s = (400 - 3) * 0.05  # the slow path: the upstream streaming to the end
    late = disconnect["at"] - closed_at
    assert late < rest_of_stream_s, f"upstream closed {late:.2f} s late"
    assert disconnect["tokens_sent"] < 400
    assert stats["completed"] == 0


async def test_disconnect_before_first_token_closes_the_upstream_request(gateway, upstream):
    first_token_s = 30.0  # the slow path: the upstream producing its first token
    upstream.control.set_faults(first_token_delay_s=first_token_s, delay_count=1)
    async with httpx.AsyncClient(timeout=30) as http:
        request = asyncio.create_task(http.post(gateway.url + "/v1/chat/completions", json=chat_body()))
        await asyncio.to_thread(
            wait_until, lambda: upstream.control.stats()["active"], what="the request to reach the upstream"
        )
        assert upstream.control.stats()["active"] == 1
        request.cancel()
        closed_at = time.time()
        await asyncio.gather(request, return_exceptions=True)
    stats = await stats_after_a_disconnect(upstream)
    assert [d["phase"] for d in stats["disconnects"]] == ["before_first_token"]
    assert stats["disconnects"][0]["at"] - closed_at < first_token_s
    assert stats["active"] == 0


async def test_gateway_in_flight_gauge_returns_to_zero(gateway, upstream):
    upstream.control.set_timing(itl_ms=50)
    async with httpx.AsyncClient(timeout=30) as http:
        async with http.stream(
            "POST", gateway.url + "/v1/chat/completions", json=chat_body(max_tokens=400)
        ) as r:
            async for line in r.aiter_lines():
                if content_token(line):
                    break
        await stats_after_a_disconnect(upstream)
        metrics = (await http.get(gateway.url + "/metrics")).text
    in_flight = [
        float(line.split()[-1])
        for line in metrics.splitlines()
        if line.startswith("rag_gateway_in_flight_requests")
    ]
    # the /metrics scrape that reads the gauge is itself in flight
    assert in_flight == [1.0], json.dumps(in_flight)
