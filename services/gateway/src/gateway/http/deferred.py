"""Responses built while the client is watched: a client that leaves first cancels the work in progress."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from starlette.background import BackgroundTask
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from gateway.errors import GatewayError, create_error_response

logger = logging.getLogger(__name__)

T = TypeVar("T")


async def wait_for_disconnect(receive: Receive) -> None:
    """Return once the client has gone away."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


async def finished_before_disconnect(work: asyncio.Future[T], client_gone: asyncio.Future[None]) -> bool:
    """Wait for `work` or the client leaving; when the client leaves first, cancel `work` and return False.

    Cancelling the work cancels the upstream call it is awaiting, which closes the upstream request.
    """
    await asyncio.wait({work, client_gone}, return_when=asyncio.FIRST_COMPLETED)
    if work.done():
        return True
    work.cancel()
    await asyncio.gather(work, return_exceptions=True)
    return False


class DeferredResponse(Response):
    """Produces its response (the upstream's whole answer) while watching for a client disconnect.

    A GatewayError while producing becomes its JSON error response; a client that leaves first gets nothing,
    so the access log records 499 rather than whatever the abandoned work would have ended as.
    """

    def __init__(self, produce: Callable[[], Awaitable[Response]]) -> None:
        # Response.__init__ is skipped on purpose: nothing is rendered up front.
        self._produce = produce
        self.status_code = 200
        self.body = b""
        self.background: BackgroundTask | None = None
        self.raw_headers = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client_gone = asyncio.ensure_future(wait_for_disconnect(receive))
        try:
            work = asyncio.ensure_future(self._produce())
            if not await finished_before_disconnect(work, client_gone):
                logger.info("client disconnected before the answer; upstream request cancelled")
                return
        finally:
            client_gone.cancel()
        try:
            response = work.result()
        except GatewayError as error:
            response = create_error_response(error)
        await response(scope, receive, send)
