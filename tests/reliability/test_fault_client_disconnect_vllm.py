"""Scenario 5 with real vLLM: a client that disconnects mid-stream (or before the first token) makes the
gateway abort the upstream request, so vLLM's `vllm:num_requests_running` returns to 0.

vLLM is started with the local stack's script (scripts/stack.sh start-vllm), in a state folder of its own."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from reliability.gateway_process import GatewayProcess, free_port, running_gateway

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
VLLM_START_TIMEOUT_S = 1200
# Well past anything SmolLM2 finishes in a few seconds on CPU, so only an abort can stop the request early.
LONG_ANSWER = {"max_tokens": 3000, "ignore_eos": True, "temperature": 0}


def stack(repo: Path, env: dict[str, str], command: str) -> None:
    result = subprocess.run(
        ["bash", str(repo / "scripts" / "stack.sh"), command],
        env=env,
        capture_output=True,
        text=True,
        timeout=VLLM_START_TIMEOUT_S,
        check=False,
    )
    if result.returncode != 0:
        output = f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        pytest.fail(f"stack.sh {command} failed ({result.returncode}):\n{output}")


@pytest.fixture(scope="module")
def vllm_url(repo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real vLLM on CPU (the local stack's SmolLM2-135M), stopped after the module.

    RELIABILITY_VLLM_URL points at an already running vLLM instead (nothing is started or stopped then)."""
    if running := os.environ.get("RELIABILITY_VLLM_URL"):
        yield running.removesuffix("/v1")
        return
    model = Path(os.environ.get("VLLM_MODEL", repo_root / ".cache" / "models" / "smollm2-135m-instruct"))
    vllm_python = Path(os.environ.get("VLLM_VENV", repo_root / ".venv-vllm")) / "bin" / "python"
    if not vllm_python.exists() or not (model / "config.json").exists():
        pytest.fail(
            "the vLLM virtualenv or the local model is missing: run `make vllm-venv model` (or `make test`)"
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_") and k != "VLLM_BASE_URL"}
    env.update(
        STATE_DIR=str(tmp_path_factory.mktemp("vllm-state")),
        VLLM_PORT=str(free_port()),
        GATEWAY_PORT=str(free_port()),
        VLLM_MODEL=str(model),
    )
    try:
        stack(repo_root, env, "start-vllm")
        yield f"http://127.0.0.1:{env['VLLM_PORT']}"
    finally:
        stack(repo_root, env, "stop-vllm")


@pytest.fixture(scope="module")
def served_model(vllm_url: str) -> str:
    return httpx.get(vllm_url + "/v1/models", timeout=30).json()["data"][0]["id"]


@pytest.fixture(scope="module")
def vllm_gateway(vllm_url, gateway_defaults, log_dir) -> Iterator[GatewayProcess]:
    settings = gateway_defaults(vllm_url + "/v1", ttft_timeout=120, total_timeout=600)
    with running_gateway(log_dir, **settings) as gateway:
        yield gateway


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


async def test_disconnect_mid_stream_aborts_the_vllm_request(vllm_gateway, vllm_url, served_model):
    assert await wait_running(vllm_url, lambda v: v == 0, 30) == 0, "vLLM is busy before the test"
    completed = finished(vllm_url, "length")
    seen_running = 0.0
    async with (
        httpx.AsyncClient(timeout=300) as http,
        http.stream("POST", vllm_gateway.base_url + "/chat/completions", json=body(served_model)) as r,
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
    vllm_gateway, vllm_url, served_model
):
    assert await wait_running(vllm_url, lambda v: v == 0, 30) == 0
    # A long prompt keeps vLLM in prefill long enough for the client to leave before the first token.
    long_body = body(served_model)
    long_body["messages"][0]["content"] = "Summarise revenue, margins and risks. " * 120
    long_body["rag"] = {"enabled": False}
    # The ~1,100-token prompt plus the answer must fit the stack's 4,096-token window, or vLLM rejects it at once.
    long_body["max_tokens"] = 1500
    async with httpx.AsyncClient(timeout=300) as http:
        request = asyncio.create_task(http.post(vllm_gateway.base_url + "/chat/completions", json=long_body))
        # The gauges move when the prefill step ends, which takes a minute or more on two busy cores.
        seen = await wait_running(vllm_url, lambda v: v >= 1 or request.done(), 240, gauge=held_requests)
        answered = request.result() if request.done() else None
        request.cancel()
        await asyncio.gather(request, return_exceptions=True)
    assert answered is None, f"the gateway answered before vLLM ran it: {answered.status_code} {answered.text}"
    assert seen >= 1, "the request never reached vLLM"
    await assert_generation_stopped(vllm_url)
