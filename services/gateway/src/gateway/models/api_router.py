"""GET /v1/models."""

from __future__ import annotations

from fastapi import APIRouter

from gateway.deps import ModelsDep, Principal
from gateway.models.protocol import ModelList
from gateway.openapi import ERROR_RESPONSES

router = APIRouter()


@router.get("/v1/models", responses=ERROR_RESPONSES)
async def list_models(models: ModelsDep, _: Principal) -> ModelList:
    """Models served by the upstreams."""
    return await models.list()
