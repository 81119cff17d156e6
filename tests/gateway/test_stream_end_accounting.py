"""A stream's end as a client sees it: the openai SDK hangs up as soon as it reads [DONE].

Driven at the ASGI level so the hang-up lands exactly between frames, which over a socket only happens on a
loaded machine (CI once counted such a finished stream as missing from /metrics).
"""

import asyncio
from collections.abc import AsyncIterator

from gateway.http.context import RequestContextMiddleware
from gateway.http.sse import DeferredSSEResponse
from gateway.http.sse_frames import LastFrame
from gateway.metrics import Metrics

DONE = b"data: [DONE]\n\n"


class Frames:
    def __init__(self, last: bytes) -> None:
        self.last = last
        self.closed = False

    async def frames(self) -> AsyncIterator[bytes]:
        yield b'data: {"choices": []}\n\n'
        yield self.last

    async def aclose(self) -> None:
        self.closed = True


def count(metrics: Metrics, status: str) -> float:
    labels = {"route": "unmatched", "model": "", "status": status}
    return metrics.registry.get_sample_value("rag_gateway_requests_total", labels) or 0.0


def serve_to_a_client_that_hangs_up_on_done(source: Frames) -> tuple[Metrics, list[dict], list[float]]:
    metrics = Metrics()
    sent: list[dict] = []
    counted_when_done_arrived: list[float] = []

    async def main() -> None:
        hung_up = asyncio.Event()

        async def receive() -> dict:
            await hung_up.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            sent.append(message)
            if DONE in message.get("body", b""):
                counted_when_done_arrived.append(count(metrics, "200"))
                hung_up.set()
                await asyncio.sleep(0)  # the disconnect watcher runs before the response sends anything else

        async def open_source() -> Frames:
            return source

        app = RequestContextMiddleware(DeferredSSEResponse(open_source, {}), metrics)
        scope = {"type": "http", "method": "POST", "path": "/v1/chat/completions", "headers": []}
        await app(scope, receive, send)

    asyncio.run(main())
    return metrics, sent, counted_when_done_arrived


def test_the_done_frame_ends_the_body_so_the_request_counts_as_200():
    source = Frames(LastFrame(DONE))
    metrics, sent, counted = serve_to_a_client_that_hangs_up_on_done(source)
    bodies = [m for m in sent if m["type"] == "http.response.body"]
    assert bodies[-1] == {"type": "http.response.body", "body": DONE, "more_body": False}
    # Counted before the client could read [DONE], and as a finished request, not a 499.
    assert counted == [1.0]
    assert (count(metrics, "200"), count(metrics, "499")) == (1.0, 0.0)
    assert metrics.registry.get_sample_value("rag_gateway_in_flight_requests") == 0.0
    assert source.closed


def test_a_client_leaving_before_the_last_frame_is_still_a_499():
    # A plain frame carrying [DONE] is not the end of the body: the hang-up comes before the response ends.
    metrics, _sent, counted = serve_to_a_client_that_hangs_up_on_done(Frames(DONE))
    assert counted == [0.0]
    assert (count(metrics, "200"), count(metrics, "499")) == (0.0, 1.0)
