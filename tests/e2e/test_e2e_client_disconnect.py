"""Scenario 5 with real vLLM: a client that disconnects mid-stream (or before the first token) makes the
gateway abort the upstream request, so vLLM's `vllm:num_requests_running` returns to 0.

It runs against the session's local stack (its vLLM and gateway), so no second vLLM is started for it."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

# Well past anything SmolLM2 finishes in a few seconds on CPU, so only an abort can stop the request early.
LONG_ANSWER = {"max_tokens": 3000, "ignore_eos": True, "temperature": 0}


@pytest.fixture(scope="module")
def vllm_url(local_stack) -> str:  # type: ignore[no-untyped-def]
    """The stack's vLLM (metrics are read from it directly)."""
    return f"http://127.0.0.1:{local_stack.env['VLLM_PORT']}"


@pytest.fixture(scope="module")
def auth(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The stack gateway's API key."""
    return {"Authorization": f"Bearer {client.api_key}"}


def vllm_metric(vllm_url: str, sample_name: str, **labels: str) -> float:
    """Sum of the samples named `sample_name` whose labels include `labels`."""
    text = httpx.get(vllm_url + "/metrics", timeout=10).text
    samples = [
        sample
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == sample_name and labels.items() <= sample.labels.items()
    ]
    assert samples, f"vLLM exposes no {sample_name} {labels}"
    return sum(sample.value for sample in samples)


def running_requests(vllm_url: str) -> float:
    return vllm_metric(vllm_url, "vllm:num_requests_running")


def held_requests(vllm_url: str) -> float:
    """Requests vLLM holds, running or waiting (both gauges move only when an engine step ends)."""
    return running_requests(vllm_url) + vllm_metric(vllm_url, "vllm:num_requests_waiting")


def finished(vllm_url: str, reason: str) -> float:
    """Requests vLLM finished for `reason` (aborted ones are not counted there)."""
    return vllm_metric(vllm_url, "vllm:request_success_total", finished_reason=reason)


def generated(vllm_url: str) -> float:
    return vllm_metric(vllm_url, "vllm:generation_tokens_total")


async def assert_generation_stopped(vllm_url: str) -> None:
    """Running is back to 0 and no token is generated any more."""
    assert await wait_running(vllm_url, lambda v: v == 0, 10) == 0, "vLLM kept the abandoned request"
    before = await asyncio.to_thread(generated, vllm_url)
    await asyncio.sleep(1.5)
    assert await asyncio.to_thread(generated, vllm_url) == before, "vLLM is still generating"


async def wait_running(vllm_url: str, predicate, timeout_s: float, gauge=running_requests) -> float:
    deadline = time.monotonic() + timeout_s
    value = await asyncio.to_thread(gauge, vllm_url)
    while not predicate(value) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        value = await asyncio.to_thread(gauge, vllm_url)
    return value


def body(model: str) -> dict:
    question = "Describe Acme's revenue growth in fiscal 2024 in great detail."
    return {
        "model": model,
        "messages": [{"role": "user", "content": question}],
        "stream": True,
        **LONG_ANSWER,
    }


async def test_disconnect_mid_stream_aborts_the_vllm_request(gateway_url, vllm_url, served_model, auth):
    assert await wait_running(vllm_url, lambda v: v == 0, 30) == 0, "vLLM is busy before the test"
    completed = finished(vllm_url, "length")
    seen_running = 0.0
    async with (
        httpx.AsyncClient(timeout=300, headers=auth) as http,
        http.stream("POST", gateway_url + "/chat/completions", json=body(served_model)) as r,
    ):
        assert r.status_code == 200, await r.aread()
        tokens = 0
        async for line in r.aiter_lines():
            if line.startswith("data: {"):
                choices = json.loads(line[6:]).get("choices") or [{}]
                tokens += bool((choices[0].get("delta") or {}).get("content"))
            # vLLM's gauges lag the first steps: keep reading until it shows the request (bounded)
            if tokens >= 5 and tokens % 5 == 0:
                seen_running = await asyncio.to_thread(running_requests, vllm_url)
            if seen_running >= 1 or tokens >= 300:
                break
    closed = time.monotonic()
    assert seen_running == 1, f"vLLM never showed the request as running ({tokens} tokens read)"
    await assert_generation_stopped(vllm_url)
    assert finished(vllm_url, "length") == completed, "the request ran to max_tokens instead of being aborted"
    stopped = time.monotonic() - closed
    print(f"\nvLLM stopped generating {stopped:.2f} s after the disconnect ({tokens} tokens read)")


async def test_disconnect_before_the_first_token_aborts_the_vllm_request(
    gateway_url, vllm_url, served_model, auth
):
    assert await wait_running(vllm_url, lambda v: v == 0, 30) == 0
    # A long prompt keeps vLLM in prefill long enough for the client to leave before the first token.
    long_body = body(served_model)
    long_body["messages"][0]["content"] = "Summarise revenue, margins and risks. " * 120
    long_body["rag"] = {"enabled": False}
    # The ~1,100-token prompt plus the answer must fit the stack's 4,096-token window, or vLLM rejects it.
    long_body["max_tokens"] = 1500
    async with httpx.AsyncClient(timeout=300, headers=auth) as http:
        request = asyncio.create_task(http.post(gateway_url + "/chat/completions", json=long_body))
        # The gauges move when the prefill step ends, which takes a minute or more on two busy cores.
        seen = await wait_running(vllm_url, lambda v: v >= 1 or request.done(), 240, gauge=held_requests)
        answered = request.result() if request.done() else None
        request.cancel()
        await asyncio.gather(request, return_exceptions=True)
    assert answered is None, f"answered before vLLM ran it: {answered.status_code} {answered.text}"
    assert seen >= 1, "the request never reached vLLM"
    await assert_generation_stopped(vllm_url)
