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
LONG_ANSWER = {"max_tokens": 1500, "ignore_eos": True, "temperature": 0}


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
    """A real vLLM on CPU (the local stack's SmolLM2-135M), stopped after the module."""
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


def running_requests(vllm_url: str) -> float:
    text = httpx.get(vllm_url + "/metrics", timeout=10).text
    for family in text_string_to_metric_families(text):
        if family.name == "vllm:num_requests_running":
            return sum(sample.value for sample in family.samples)
    raise AssertionError("vLLM exposes no vllm:num_requests_running")


async def wait_running(vllm_url: str, predicate, timeout_s: float) -> float:
    deadline = time.monotonic() + timeout_s
    value = await asyncio.to_thread(running_requests, vllm_url)
    while not predicate(value) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        value = await asyncio.to_thread(running_requests, vllm_url)
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
            if tokens >= 5:
                break
        assert tokens >= 5
        assert await asyncio.to_thread(running_requests, vllm_url) == 1, "the request is not running in vLLM"
    closed = time.monotonic()
    after = await wait_running(vllm_url, lambda v: v == 0, 10)
    assert after == 0, "vLLM kept generating for a client that left"
    print(f"\nvLLM num_requests_running back to 0 {time.monotonic() - closed:.2f} s after the disconnect")


async def test_disconnect_before_the_first_token_aborts_the_vllm_request(
    vllm_gateway, vllm_url, served_model
):
    assert await wait_running(vllm_url, lambda v: v == 0, 30) == 0
    # A long prompt keeps vLLM in prefill long enough for the client to leave before the first token.
    long_body = body(served_model)
    long_body["messages"][0]["content"] = "Summarise revenue, margins and risks. " * 250
    long_body["rag"] = {"enabled": False}
    async with httpx.AsyncClient(timeout=300) as http:
        request = asyncio.create_task(http.post(vllm_gateway.base_url + "/chat/completions", json=long_body))
        seen = await wait_running(vllm_url, lambda v: v >= 1, 60)
        request.cancel()
        await asyncio.gather(request, return_exceptions=True)
    assert seen >= 1, "the request never reached vLLM"
    assert await wait_running(vllm_url, lambda v: v == 0, 10) == 0, "vLLM kept the abandoned request"
