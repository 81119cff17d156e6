"""Vector-store search served from the in-process FAISS index."""

from __future__ import annotations

import time
from datetime import datetime

from retriever.file_ids import file_id
from retriever.filters import FilterError, parse_filter
from retriever.hits import Hit

from gateway.errors import GatewayError, invalid_request
from gateway.retrieval.service import RetrievalService
from gateway.vector_stores.protocol import (
    FileCounts,
    SearchContent,
    VectorStore,
    VectorStoreList,
    VectorStoreSearchRequest,
    VectorStoreSearchResult,
    VectorStoreSearchResultsPage,
)


def _timestamp(value: object) -> int:
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str):
        try:
            return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
        except ValueError:
            return 0
    return 0


def to_result(hit: Hit) -> VectorStoreSearchResult:
    """One OpenAI search result; attributes drop empty (null) values."""
    attributes = {k: v for k, v in hit.metadata.attributes().items() if v is not None}
    attributes["chunk_id"] = hit.id
    return VectorStoreSearchResult(
        file_id=file_id(hit.metadata),  # the stable id the files endpoints, sources and citations use
        filename=hit.metadata.source_file,
        score=round(float(hit.score), 6),
        attributes=attributes,
        content=[SearchContent(text=hit.text)],
    )


class VectorStoreService:
    """Lists the one store and searches it."""

    def __init__(self, retrieval: RetrievalService, store_id: str, *, infer_filters: bool = False) -> None:
        self._retrieval = retrieval
        self._store_id = store_id
        self._infer_filters = infer_filters

    def _require(self, store_id: str) -> None:
        if store_id != self._store_id:
            raise GatewayError(
                404,
                f"No vector store found with id '{store_id}'.",
                param="vector_store_id",
                code="vector_store_not_found",
            )

    def describe(self) -> VectorStore:
        """The store object (index version and model in `metadata`)."""
        index = self._retrieval.index
        chunks = len(index)
        created = _timestamp(getattr(index, "created_at", None))
        return VectorStore(
            id=self._store_id,
            created_at=created,
            name=self._store_id,
            file_counts=FileCounts(completed=chunks, total=chunks),
            last_active_at=int(time.time()),
            metadata={
                "index_version": index.version,
                "embedding_model": self._retrieval.embedder.model_id,
                "chunks": str(chunks),
            },
        )

    def list(self) -> VectorStoreList:
        """GET /v1/vector_stores."""
        return VectorStoreList(data=[self.describe()], first_id=self._store_id, last_id=self._store_id)

    def retrieve(self, store_id: str) -> VectorStore:
        """GET /v1/vector_stores/{id}."""
        self._require(store_id)
        return self.describe()

    def _reranker(self, request: VectorStoreSearchRequest) -> str | None:
        """`ranking_options.ranker`: OpenAI's "auto" and dated names mean the deployment default, "none" no
        second stage; this deployment's own names ("fusion", "http") pick one."""
        ranker = request.ranking_options.ranker if request.ranking_options else None
        if ranker is None or ranker == "auto" or ranker.startswith("default-"):
            return None
        return self._retrieval.check_reranker(ranker, param="ranking_options.ranker")

    async def search(self, store_id: str, request: VectorStoreSearchRequest) -> VectorStoreSearchResultsPage:
        """POST /v1/vector_stores/{id}/search."""
        self._require(store_id)
        queries = [request.query] if isinstance(request.query, str) else list(request.query)
        text = " ".join(q.strip() for q in queries if q.strip())
        if not text:
            raise invalid_request("query must contain some text.", param="query")
        try:
            filters = parse_filter(request.filters)
        except RecursionError:
            raise invalid_request("filters are nested too deeply.", param="filters") from None
        except FilterError as exc:
            raise invalid_request(str(exc), param=exc.param or "filters") from None
        threshold = request.ranking_options.score_threshold if request.ranking_options else None
        # `rewrite_query` is OpenAI's switch for query processing; ours scopes the search to the companies
        # the query names (RAG_INFER_FILTERS when the request does not say).
        infer = request.rewrite_query if request.rewrite_query is not None else self._infer_filters
        retrieved = await self._retrieval.search(
            [text],
            request.max_num_results,
            filters,
            threshold,
            infer_filters=infer,
            rerank=self._reranker(request),
        )
        return VectorStoreSearchResultsPage(
            search_query=queries, data=[to_result(hit) for hit in retrieved.hits]
        )
