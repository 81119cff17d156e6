"""Control routes: change faults and timing at run time, read and reset stats."""

import json
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from synthetic_upstream.errors import error_response
from synthetic_upstream.faults import FaultUpdate
from synthetic_upstream.replies import ReplyUpdate
from synthetic_upstream.state import UpstreamState, get_state
from synthetic_upstream.timing import TimingUpdate

M = TypeVar("M", bound=BaseModel)


async def _parse(request: Request, model: type[M]) -> M | Response:
    try:
        return model.model_validate(json.loads(await request.body() or b"{}"))
    except json.JSONDecodeError:
        return error_response(400, "request body is not valid JSON")
    except ValidationError as exc:
        first = exc.errors()[0]
        param = ".".join(str(part) for part in first["loc"]) or None
        return error_response(400, f"{param}: {first['msg']}", param)


def _snapshot(state: UpstreamState) -> dict[str, object]:
    return {"faults": state.faults.snapshot(), "timing": state.timing.snapshot()}


async def get_faults(request: Request) -> JSONResponse:
    """``GET /control/faults``: current faults and timing."""
    return JSONResponse(_snapshot(get_state(request)))


async def set_faults(request: Request) -> Response:
    """``POST /control/faults``: merge a :class:`FaultUpdate`."""
    update = await _parse(request, FaultUpdate)
    if isinstance(update, Response):
        return update
    state = get_state(request)
    state.faults.apply(update)
    return JSONResponse(_snapshot(state))


async def set_timing(request: Request) -> Response:
    """``POST /control/timing``: merge a :class:`TimingUpdate`."""
    update = await _parse(request, TimingUpdate)
    if isinstance(update, Response):
        return update
    state = get_state(request)
    state.timing.apply(update)
    return JSONResponse(_snapshot(state))


async def set_reply(request: Request) -> Response:
    """``POST /control/reply``: answer with a scripted text (:class:`ReplyUpdate`)."""
    update = await _parse(request, ReplyUpdate)
    if isinstance(update, Response):
        return update
    replies = get_state(request).replies
    replies.apply(update)
    return JSONResponse(replies.snapshot())


async def get_stats(request: Request) -> JSONResponse:
    """``GET /control/stats``: counters, disconnects and the last request bodies."""
    return JSONResponse(get_state(request).stats.snapshot())


async def reset(request: Request) -> JSONResponse:
    """``POST /control/reset``: no faults, no scripted reply, start-up timing, counters zeroed."""
    state = get_state(request)
    state.faults.reset()
    state.replies.apply(ReplyUpdate())
    settings = state.settings
    state.timing.apply(
        TimingUpdate(ttft_ms=settings.ttft_ms, itl_ms=settings.itl_ms, output_tokens=settings.output_tokens)
    )
    state.stats.reset()
    return JSONResponse(_snapshot(state))


ROUTES = [
    Route("/control/faults", get_faults, methods=["GET"]),
    Route("/control/faults", set_faults, methods=["POST"]),
    Route("/control/timing", set_timing, methods=["POST"]),
    Route("/control/reply", set_reply, methods=["POST"]),
    Route("/control/stats", get_stats, methods=["GET"]),
    Route("/control/reset", reset, methods=["POST"]),
]
