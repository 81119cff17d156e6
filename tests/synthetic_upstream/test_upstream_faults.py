"""Fault injection and disconnect detection, driven through the control endpoints."""

import asyncio
import time

import httpx
import openai
import pytest
from openai import AsyncOpenAI
from synthetic_upstream import expected_text
from synthetic_upstream.testing import RunningUpstream, run_upstream

MODEL = "synthetic-test-model"
MESSAGES = [{"role": "user", "content": "hello"}]


async def test_fail_next_then_succeed(client: AsyncOpenAI, upstream: RunningUpstream) -> None:
    upstream.control.set_faults(fail_next=2, fail_status=502)
    for _ in range(2):
        with pytest.raises(openai.APIStatusError) as caught:
            await client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=2)
        assert caught.value.status_code == 502
        assert caught.value.body["type"] == "BadGatewayError"
    completion = await client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=2)
    assert completion.choices[0].message.content == expected_text(2)
    stats = upstream.control.stats()
    assert (stats["attempts"], stats["errors_injected"], stats["completed"]) == (3, 2, 1)


async def test_sdk_retries_honour_retry_after(upstream: RunningUpstream) -> None:
    upstream.control.set_faults(fail_next=1, fail_status=429, retry_after=1)
    client = AsyncOpenAI(base_url=upstream.base_url, api_key="unused", max_retries=2)
    started = time.monotonic()
    completion = await client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=2)
    assert completion.choices[0].message.content == expected_text(2)
    assert time.monotonic() - started >= 0.9
    assert upstream.control.stats()["attempts"] == 2


async def test_retry_after_header_and_status(upstream: RunningUpstream) -> None:
    upstream.control.set_faults(fail_next=1, fail_status=503, retry_after=2.5)
    async with httpx.AsyncClient(base_url=upstream.base_url) as http:
        response = await http.post("/chat/completions", json={"model": MODEL, "messages": MESSAGES})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "2.5"
    assert response.json()["error"]["code"] == 503


async def test_drop_after_tokens_closes_stream_midway(client: AsyncOpenAI, upstream: RunningUpstream) -> None:
    upstream.control.set_faults(drop_after_tokens=3, drop_count=1)
    received: list[str] = []
    with pytest.raises(openai.APIError):
        stream = await client.chat.completions.create(
            model=MODEL, messages=MESSAGES, stream=True, max_tokens=10
        )
        async for chunk in stream:
            received.append(chunk.choices[0].delta.content or "")
    assert "".join(received) == expected_text(3)
    # drop_count=1: the next stream is whole again
    stream = await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True, max_tokens=10)
    text = "".join([c.choices[0].delta.content or "" async for c in stream])
    assert text == expected_text(10)
    assert upstream.control.stats()["drops_injected"] == 1


async def test_first_token_delay(client: AsyncOpenAI, upstream: RunningUpstream) -> None:
    upstream.control.set_faults(first_token_delay_s=0.4, delay_count=1)
    started = time.monotonic()
    stream = await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True, max_tokens=2)
    async for chunk in stream:
        if chunk.choices[0].delta.content:
            break
    assert time.monotonic() - started >= 0.4
    await stream.close()


async def test_client_disconnect_mid_stream_is_recorded(upstream: RunningUpstream) -> None:
    upstream.control.set_timing(itl_ms=50)
    client = AsyncOpenAI(base_url=upstream.base_url, api_key="unused", max_retries=0)
    stream = await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True, max_tokens=100)
    tokens = 0
    async for chunk in stream:
        tokens += bool(chunk.choices[0].delta.content)
        if tokens == 2:
            break
    await stream.close()
    closed_at = time.time()
    disconnects = await _wait_for_disconnects(upstream, 1)
    assert disconnects[0]["phase"] == "streaming"
    assert 2 <= disconnects[0]["tokens_sent"] < 100
    assert disconnects[0]["at"] - closed_at < 1.0
    assert upstream.control.stats()["active"] == 0


async def test_client_timeout_before_first_token_is_recorded(upstream: RunningUpstream) -> None:
    upstream.control.set_faults(first_token_delay_s=30)
    client = AsyncOpenAI(base_url=upstream.base_url, api_key="unused", max_retries=0, timeout=0.3)
    with pytest.raises(openai.APITimeoutError):
        stream = await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
        async for _ in stream:
            pass
    disconnects = await _wait_for_disconnects(upstream, 1)
    assert disconnects[0]["phase"] == "before_first_token"


async def test_loading_toggles_health_and_chat(client: AsyncOpenAI, upstream: RunningUpstream) -> None:
    upstream.control.set_faults(loading=True)
    async with httpx.AsyncClient(base_url=upstream.root_url) as http:
        assert (await http.get("/health")).status_code == 503
        with pytest.raises(openai.APIStatusError) as caught:
            await client.chat.completions.create(model=MODEL, messages=MESSAGES)
        assert caught.value.status_code == 503
        upstream.control.set_faults(loading=False)
        assert (await http.get("/health")).status_code == 200


async def test_reset_clears_faults(upstream: RunningUpstream) -> None:
    upstream.control.set_faults(fail_next=5, drop_after_tokens=1)
    snapshot = upstream.control.reset()
    assert snapshot["faults"]["fail_next"] == 0
    assert snapshot["faults"]["drop_after_tokens"] is None
    assert upstream.control.stats()["attempts"] == 0


async def test_bad_control_update_is_400(upstream: RunningUpstream) -> None:
    async with httpx.AsyncClient(base_url=upstream.root_url) as http:
        response = await http.post("/control/faults", json={"fail_next": -1})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "fail_next"


def test_start_up_faults_and_loading_in_thread_mode() -> None:
    with run_upstream(mode="thread", models=["m"], ttft_ms=0, itl_ms=0, fail_next=1, loading_s=60) as running:
        assert httpx.get(running.root_url + "/health").status_code == 503
        running.control.set_faults(loading=False)
        assert httpx.get(running.root_url + "/health").status_code == 200
        body = {"model": "m", "messages": MESSAGES, "max_tokens": 2}
        first = httpx.post(running.base_url + "/chat/completions", json=body)
        second = httpx.post(running.base_url + "/chat/completions", json=body)
    assert (first.status_code, second.status_code) == (503, 200)


def test_loading_ends_by_itself() -> None:
    with run_upstream(mode="thread", loading_s=0.2) as running:
        statuses = []
        for _ in range(100):
            statuses.append(httpx.get(running.root_url + "/health").status_code)
            if statuses[-1] == 200:
                break
            time.sleep(0.1)
    assert statuses[-1] == 200


async def _wait_for_disconnects(upstream: RunningUpstream, count: int) -> list[dict[str, object]]:
    for _ in range(40):
        disconnects = upstream.control.stats()["disconnects"]
        if len(disconnects) >= count:
            return list(disconnects)
        await asyncio.sleep(0.05)
    raise AssertionError("the upstream saw no disconnect within 2 s")
