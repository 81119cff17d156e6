"""Vector-store search and listing models, fields in OpenAI's order."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

AttributeValue = str | int | float | bool


class RankingOptions(BaseModel):
    """`ranking_options` of a search."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    ranker: str | None = None
    score_threshold: float | None = Field(default=None, ge=0.0, le=1.0)


class VectorStoreSearchRequest(BaseModel):
    """POST /v1/vector_stores/{vector_store_id}/search."""

    model_config = ConfigDict(extra="forbid")

    query: str | list[str]
    filters: dict[str, Any] | None = None
    max_num_results: int = Field(default=10, ge=1, le=50)
    ranking_options: RankingOptions | None = None
    rewrite_query: bool | None = None


class SearchContent(BaseModel):
    """A text chunk."""

    type: Literal["text"] = "text"
    text: str


class VectorStoreSearchResult(BaseModel):
    """One hit: the filing it comes from, its score, attributes and text."""

    file_id: str
    filename: str
    score: float
    attributes: dict[str, AttributeValue]
    content: list[SearchContent]


class VectorStoreSearchResultsPage(BaseModel):
    """The search response page."""

    object: Literal["vector_store.search_results.page"] = "vector_store.search_results.page"
    search_query: list[str]
    data: list[VectorStoreSearchResult]
    has_more: bool = False
    next_page: str | None = None


class FileCounts(BaseModel):
    """File counts of a vector store."""

    in_progress: int = 0
    completed: int = 0
    failed: int = 0
    cancelled: int = 0
    total: int = 0


class VectorStore(BaseModel):
    """The FAISS index presented as an OpenAI vector store."""

    id: str
    object: Literal["vector_store"] = "vector_store"
    created_at: int
    name: str
    usage_bytes: int = 0
    file_counts: FileCounts
    status: Literal["completed"] = "completed"
    last_active_at: int | None = None
    metadata: dict[str, str]


class VectorStoreList(BaseModel):
    """GET /v1/vector_stores."""

    object: Literal["list"] = "list"
    data: list[VectorStore]
    first_id: str | None
    last_id: str | None
    has_more: bool = False
