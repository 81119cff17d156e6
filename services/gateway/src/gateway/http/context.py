"""Per-request context: X-Request-ID, in-flight gauge, request counters and one access-log line."""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.logs import request_id_var
from gateway.metrics import Metrics

logger = logging.getLogger("gateway.access")

_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
MODEL_SCOPE_KEY = "gateway.model"


class RequestContextMiddleware:
    """Outermost middleware; never logs headers (they carry API keys)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        status: int | None = None
        failed = False
        recorded = False
        completed = False  # the response's last body message went out
        client_left = False  # the app saw http.disconnect before that
        started = time.perf_counter()

        def record(final_status: int) -> None:
            """Count and log the request once; done as the last body message goes out, so a client that
            reads its answer and at once asks /metrics or the log finds it there."""
            nonlocal recorded
            if recorded:
                return
            recorded = True
            self.metrics.in_flight.dec()
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            path = getattr(route, "path", None) or "unmatched"
            model = scope.get(MODEL_SCOPE_KEY, "")
            self.metrics.requests.labels(path, model, str(final_status)).inc()
            self.metrics.request_seconds.labels(path).observe(elapsed)
            logger.info(
                "%s %s %d %.1fms",
                scope["method"],
                scope["path"],
                final_status,
                elapsed * 1000,
                extra={
                    "status": final_status,
                    "route": path,
                    "model": model,
                    "duration_ms": round(elapsed * 1000, 1),
                },
            )

        async def receive_watched() -> Message:
            nonlocal client_left
            message = await receive()
            if message["type"] == "http.disconnect" and not completed:
                client_left = True
            return message

        async def send_with_id(message: Message) -> None:
            nonlocal status, completed
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                completed = True
                if not client_left and status is not None:
                    record(status)
            await send(message)

        self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive_watched, send_with_id)
        except BaseException:
            failed = True
            raise
        finally:
            if client_left or status is None:
                # The client left before the response was complete, mid-stream included (499, as in nginx),
                # or no response started: an unhandled error (500).
                status = 499 if client_left or not failed else 500
            record(status)
            request_id_var.reset(token)
