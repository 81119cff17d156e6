"""Several worker processes (RAG_WORKERS > 1) under uvicorn's supervisor, sharing one listening socket.

One event loop per process: the relay and the per-request Python work of one process no longer queue
behind each other's, which is what stretched TTFT under many concurrent streams (benchmarks/README.md).
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from uvicorn import Config
from uvicorn.supervisors import Multiprocess

from gateway.settings import GatewaySettings

logger = logging.getLogger(__name__)

WORKER_FACTORY = "gateway.worker:create_app"


class DrainingSupervisor(Multiprocess):
    """On SIGTERM, closes its own copy of the listening socket before the workers drain.

    The workers stop accepting when they are told to stop, but the parent's copy would keep the port open
    and new connections would wait in the backlog instead of being refused for the load balancer to retry.
    """

    def handle_term(self) -> None:
        for sock in self.sockets:
            sock.close()
        super().handle_term()


def server_options(settings: GatewaySettings) -> dict[str, Any]:
    """uvicorn options shared by the single-process and the multi-worker server."""
    return {
        "host": settings.host,
        "port": settings.port,
        "log_config": None,  # the gateway's own JSON logging stays in charge
        "access_log": False,  # RequestContextMiddleware writes one access line per request
        "timeout_graceful_shutdown": int(settings.drain_timeout),
        "timeout_keep_alive": int(settings.keep_alive_timeout),
        "lifespan": "on",
    }


def prepare_metrics_dir() -> Path:
    """PROMETHEUS_MULTIPROC_DIR (a fresh temporary folder unless set), emptied of an earlier run's samples."""
    folder = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or tempfile.mkdtemp(prefix="rag-gateway-"))
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    return folder


def serve_workers(settings: GatewaySettings, overrides: dict[str, object]) -> int:
    """Serve until SIGTERM/SIGINT; each worker drains for up to RAG_DRAIN_TIMEOUT seconds."""
    # Workers are spawned and build their settings from the environment, so the CLI flags travel there.
    os.environ.update({f"RAG_{key.upper()}": str(value) for key, value in overrides.items()})
    metrics_dir = prepare_metrics_dir()
    config = Config(WORKER_FACTORY, factory=True, workers=settings.workers, **server_options(settings))
    logger.info("%d workers on port %d, metrics in %s", settings.workers, settings.port, metrics_dir)
    DrainingSupervisor(config, sockets=[config.bind_socket()]).run()
    return 0
