"""Wires the synthetic upstream app together."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette

from synthetic_upstream import control, routes
from synthetic_upstream.settings import UpstreamSettings
from synthetic_upstream.state import UpstreamState

logger = logging.getLogger(__name__)


def build_app(settings: UpstreamSettings | None = None) -> Starlette:
    """The Starlette app for ``settings`` (defaults from the environment)."""
    settings = settings or UpstreamSettings()
    state = UpstreamState.from_settings(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if settings.loading_s > 0:
            state.faults.loading = True
            handle = asyncio.get_running_loop().call_later(settings.loading_s, _finish_loading, state)
        else:
            handle = None
        logger.info("synthetic upstream serving %s", ", ".join(settings.models))
        yield
        if handle is not None:
            handle.cancel()

    app = Starlette(routes=[*routes.ROUTES, *control.ROUTES], lifespan=lifespan)
    app.state.upstream = state
    return app


def _finish_loading(state: UpstreamState) -> None:
    state.faults.loading = False
    logger.info("synthetic upstream finished loading")
