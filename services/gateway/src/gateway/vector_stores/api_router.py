"""GET /v1/vector_stores, GET /v1/vector_stores/{id}, POST /v1/vector_stores/{id}/search."""

from __future__ import annotations

from fastapi import APIRouter

from gateway.deps import Principal, VectorStoresDep
from gateway.openapi import ERROR_RESPONSES
from gateway.vector_stores.protocol import (
    VectorStore,
    VectorStoreList,
    VectorStoreSearchRequest,
    VectorStoreSearchResultsPage,
)

router = APIRouter()


@router.get("/v1/vector_stores", responses=ERROR_RESPONSES)
async def list_vector_stores(stores: VectorStoresDep, _: Principal) -> VectorStoreList:
    """The filings index, as the single vector store."""
    return stores.list()


@router.get("/v1/vector_stores/{vector_store_id}", responses=ERROR_RESPONSES)
async def retrieve_vector_store(vector_store_id: str, stores: VectorStoresDep, _: Principal) -> VectorStore:
    """One vector store."""
    return stores.retrieve(vector_store_id)


@router.post("/v1/vector_stores/{vector_store_id}/search", responses=ERROR_RESPONSES)
async def search_vector_store(
    vector_store_id: str, body: VectorStoreSearchRequest, stores: VectorStoresDep, _: Principal
) -> VectorStoreSearchResultsPage:
    """Semantic search over the filings, with attribute filters."""
    return await stores.search(vector_store_id, body)
