"""Gateways as in-process ASGI apps under real uvicorn, on a free loopback port in a background thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support.corpus import embedding_model_path

MODEL = "synthetic-model"


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
    from gateway.settings import GatewaySettings

    values: dict[str, Any] = {
        "default_upstream": upstream_url,
        "index_dir": index_root,
        "index_poll_interval": 0,
        "embedding_model": embedding_model_path(),
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


@contextmanager
def gateway_factory(
    upstream_url: str, index_root: Path, embedder: Any, search_index: Any
) -> Iterator[Callable[..., Gateway]]:
    """`start(*, index=None, lambda_client=None, **settings)` runs a gateway; all stop when the block ends."""
    from gateway.app import build_app

    with ExitStack() as stack:

        def start(*, index: Any = None, lambda_client: Any = None, **overrides: Any) -> Gateway:
            settings = gateway_settings(upstream_url, index_root, **overrides)
            app = build_app(
                settings, embedder=embedder, index=index or search_index, lambda_client=lambda_client
            )
            return Gateway(stack.enter_context(serve(app)), app)

        yield start
