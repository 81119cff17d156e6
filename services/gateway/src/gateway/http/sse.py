"""An SSE response that opens its source first, so failures before the first byte keep a real status code."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Protocol

from starlette.background import BackgroundTask
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from gateway.errors import GatewayError, create_error_response
from gateway.http.deferred import finished_before_disconnect, wait_for_disconnect
from gateway.http.sse_frames import LastFrame

logger = logging.getLogger(__name__)

SSE_HEADERS = {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    "x-accel-buffering": "no",
}


class FrameSource(Protocol):
    """An opened stream of ready-to-send SSE frames; the last one is a LastFrame."""

    def frames(self) -> AsyncIterator[bytes]: ...

    async def aclose(self) -> None: ...


class DeferredSSEResponse(Response):
    """Opens the source (retries, first token) while watching for a client disconnect, then relays frames.

    A GatewayError while opening becomes a normal JSON error response; a disconnect at any point cancels
    the work in progress and closes the source, which closes the upstream request.
    """

    def __init__(self, open_source: Callable[[], Awaitable[FrameSource]], headers: Mapping[str, str]) -> None:
        # Response.__init__ is skipped on purpose: nothing is rendered up front.
        self._open_source = open_source
        self.status_code = 200
        self.body = b""
        self.background: BackgroundTask | None = None
        merged = {**SSE_HEADERS, **{k.lower(): v for k, v in headers.items()}}
        self.raw_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in merged.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        watcher = asyncio.ensure_future(wait_for_disconnect(receive))
        source: FrameSource | None = None
        try:
            opener = asyncio.ensure_future(self._open_source())
            if not await finished_before_disconnect(opener, watcher):
                logger.info("client disconnected before the first token; upstream request cancelled")
                return
            try:
                source = opener.result()
            except GatewayError as error:
                await create_error_response(error)(scope, receive, send)
                return
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            pump = asyncio.ensure_future(self._pump(source, send))
            if not await finished_before_disconnect(pump, watcher):
                logger.info("client disconnected mid-stream; upstream stream closed")
                return
            pump.result()
        finally:
            watcher.cancel()
            if source is not None:
                await source.aclose()

    @staticmethod
    async def _pump(source: FrameSource, send: Send) -> None:
        async for frame in source.frames():
            last = isinstance(frame, LastFrame)
            await send({"type": "http.response.body", "body": frame, "more_body": not last})
            if last:
                return
        await send({"type": "http.response.body", "body": b"", "more_body": False})
