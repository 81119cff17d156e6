"""A subprocess synthetic upstream shared by the module's tests, reset before each test."""

from collections.abc import Iterator

import pytest
from openai import AsyncOpenAI
from synthetic_upstream.testing import RunningUpstream, run_upstream

MODEL = "synthetic-test-model"


@pytest.fixture(scope="session")
def upstream_server() -> Iterator[RunningUpstream]:
    with run_upstream(models=[MODEL], ttft_ms=20, itl_ms=2, output_tokens=8, max_model_len=4096) as running:
        yield running


@pytest.fixture
def upstream(upstream_server: RunningUpstream) -> RunningUpstream:
    upstream_server.control.reset()
    return upstream_server


@pytest.fixture
def client(upstream: RunningUpstream) -> AsyncOpenAI:
    return AsyncOpenAI(base_url=upstream.base_url, api_key="unused", max_retries=0, timeout=10)
