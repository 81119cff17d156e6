"""App factory of the uvicorn worker processes started when RAG_WORKERS > 1.

Workers are spawned, not forked: each reads its settings from the environment the CLI prepared and loads
the embedding model and the index in the app's lifespan.
"""

from __future__ import annotations

from fastapi import FastAPI

from gateway.app import build_app
from gateway.logs import configure_logging, quiet_model_loading
from gateway.settings import GatewaySettings


def create_app() -> FastAPI:
    """One worker's app."""
    settings = GatewaySettings()
    configure_logging(settings.log_level, settings.log_json)
    quiet_model_loading()
    return build_app(settings)
