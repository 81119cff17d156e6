"""POST /v1/embeddings."""

from __future__ import annotations

from fastapi import APIRouter, Request

from gateway.deps import EmbeddingsDep, Principal
from gateway.embeddings.protocol import EmbeddingRequest, EmbeddingResponse
from gateway.http.context import MODEL_SCOPE_KEY
from gateway.openapi import ERROR_RESPONSES

router = APIRouter()


@router.post("/v1/embeddings", responses=ERROR_RESPONSES)
async def create_embeddings(
    body: EmbeddingRequest, request: Request, embeddings: EmbeddingsDep, _: Principal
) -> EmbeddingResponse:
    """Embeddings from the retriever's model."""
    request.scope[MODEL_SCOPE_KEY] = embeddings.metrics_label(body.model)
    return await embeddings.create(body)
