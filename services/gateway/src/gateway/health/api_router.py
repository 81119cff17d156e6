"""GET /health (liveness), GET /ready (index loaded and upstream answering), GET /metrics."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.responses import Response

from gateway.deps import StateDep

router = APIRouter()


@router.get("/health")
async def health() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/ready", responses={503: {"description": "index missing or no upstream answering"}})
async def ready(state: StateDep) -> JSONResponse:
    """Ready when the index is loaded and every upstream answers /v1/models."""
    upstreams = await state.registry.probe()
    index = state.retrieval.index
    is_ready = all(upstreams.values())
    body = {
        "status": "ready" if is_ready else "not_ready",
        "index": {"version": index.version, "chunks": len(index)},
        "upstreams": {"up": sum(upstreams.values()), "total": len(upstreams)},
    }
    headers = None if is_ready else {"Retry-After": str(state.settings.unavailable_retry_after)}
    return JSONResponse(body, status_code=200 if is_ready else 503, headers=headers)


@router.get("/metrics", response_class=Response)
async def metrics(state: StateDep) -> Response:
    """Prometheus text exposition."""
    return Response(state.metrics.render(), media_type=CONTENT_TYPE_LATEST)
