"""Reliability and security suite: real gateway processes, a fault-injecting synthetic upstream, a tiny index.

`embedding_model`, `embedder`, `upstream` (the session upstream, reset) and `gateway` (the shared gateway with
that reset upstream) come from tests/support/plugin.py; the fixtures below override the shared ones of the
same name (`index_root`, `upstream_session`, `shared_gateway`, `make_gateway`, ...) with processes and a tiny
index, and the plugin's `upstream` and `gateway` pick up these overrides.

Every process started here is stopped in teardown. The `soak` scenarios (minutes long) are deselected unless
asked for with `-m soak` (tests/reliability/soak.sh, `make soak`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from reliability.gateway_process import GatewayProcess, running_gateway
from reliability.sse_client import MODEL
from reliability.tiny_index import BASE_FILINGS, build_with_api, write_corpus


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "soak: minutes-long load scenario, run by `make soak` (-m soak)")
    config.addinivalue_line("markers", "reliability: fault, load, fuzz and abuse scenarios on real processes")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    wants_soak = "soak" in (config.getoption("markexpr", "") or "")
    kept, dropped = [], []
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.reliability)
            if item.get_closest_marker("soak") and not wants_soak:
                dropped.append(item)
                continue
        kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three text filings, one of them carrying a prompt injection."""
    return write_corpus(tmp_path_factory.mktemp("tiny-corpus"), BASE_FILINGS)


@pytest.fixture(scope="session")
def index_root(tmp_path_factory: pytest.TempPathFactory, tiny_corpus: Path, embedder: Any) -> Path:
    """An index root (versions/ + current) of the tiny corpus; tests that publish versions copy it."""
    root = tmp_path_factory.mktemp("tiny-index")
    build_with_api(tiny_corpus, root, embedder)
    return root


@pytest.fixture(scope="session")
def log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where gateway processes write their stdout/stderr."""
    return tmp_path_factory.mktemp("gateway-logs")


@pytest.fixture(scope="session")
def upstream_session() -> Iterator[Any]:
    """One synthetic upstream subprocess shared by the session."""
    from synthetic_upstream.testing import run_upstream

    with run_upstream(
        models=[MODEL], ttft_ms=20, itl_ms=5, output_tokens=16, max_model_len=4096, recorded_requests=200
    ) as running:
        yield running


@pytest.fixture(scope="session")
def gateway_defaults(index_root: Path, embedding_model: str) -> Callable[..., dict[str, Any]]:
    """Settings for a test gateway: fast retries, short timeouts, no index polling, JSON logs."""

    def settings(upstream_url: str, **overrides: Any) -> dict[str, Any]:
        values: dict[str, Any] = {
            "default_upstream": upstream_url,
            "index_dir": index_root,
            "index_poll_interval": 0,
            "embedding_model": embedding_model,
            "embedding_backend": "onnx",
            "retries": 3,
            "retry_backoff_initial": 0.02,
            "retry_backoff_max": 0.1,
            "connect_timeout": 1,
            "ttft_timeout": 10,
            "total_timeout": 60,
            "drain_timeout": 10,
            "log_json": True,
        }
        values.update(overrides)
        return values

    return settings


@pytest.fixture(scope="session")
def shared_gateway(
    upstream_session: Any, gateway_defaults: Callable[..., dict[str, Any]], log_dir: Path
) -> Iterator[GatewayProcess]:
    """A default gateway process reused by scenarios that do not change its settings."""
    with running_gateway(log_dir, **gateway_defaults(upstream_session.base_url)) as gateway:
        yield gateway


@pytest.fixture
def make_gateway(
    gateway_defaults: Callable[..., dict[str, Any]], log_dir: Path, upstream_session: Any
) -> Iterator[Callable[..., GatewayProcess]]:
    """Factory: a dedicated gateway process with settings overrides; all are stopped after the test."""
    with ExitStack() as stack:

        def start(upstream_url: str | None = None, **overrides: Any) -> GatewayProcess:
            settings = gateway_defaults(upstream_url or upstream_session.base_url, **overrides)
            return stack.enter_context(running_gateway(log_dir, **settings))

        yield start
