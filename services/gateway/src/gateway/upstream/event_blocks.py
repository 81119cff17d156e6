"""The upstream's SSE stream cut into blocks of complete events, with its failures as gateway errors.

Chat completions relay these blocks as they are; the Responses API re-tells them as its own events. Both
read the upstream through this one loop, so a deadline, an early end or a broken connection mean the same."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import httpx2
import openai

from gateway.errors import GatewayError
from gateway.http.sse_frames import last_boundary
from gateway.upstream.caller import OpenedStream

logger = logging.getLogger(__name__)


def interrupted() -> GatewayError:
    """The upstream broke off in the middle of a stream."""
    return GatewayError(
        502,
        "The upstream model server failed in the middle of the stream.",
        code="upstream_stream_interrupted",
    )


async def event_blocks(opened: OpenedStream, buffer: bytes, deadline: float) -> AsyncIterator[bytes]:
    """Complete SSE events from `buffer` on, then from the network, one block per read that completes any.

    The consumer stops iterating once it has seen [DONE]; the upstream ending before that, passing
    `deadline` (loop time) or failing on the wire raises a GatewayError (502, 504, 502)."""
    try:
        async with asyncio.timeout_at(deadline):
            while True:
                cut = last_boundary(buffer)
                if cut > 0:
                    block, buffer = buffer[:cut], buffer[cut:]
                    yield block
                chunk = await anext(opened.chunks, None)
                if chunk is None:
                    break
                buffer += chunk
    except TimeoutError:
        raise GatewayError(
            504, "The upstream model server exceeded the total time limit.", code="upstream_timeout"
        ) from None
    except (httpx2.HTTPError, openai.APIError, ValueError) as exc:
        logger.warning("upstream stream failed mid-way: %s", type(exc).__name__)
        raise interrupted() from None
    raise GatewayError(
        502, "The upstream model server ended the stream early.", code="upstream_stream_interrupted"
    )
