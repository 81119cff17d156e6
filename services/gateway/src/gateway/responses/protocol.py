"""Responses API request and response models, fields in OpenAI's order."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

FILE_SEARCH_RESULTS = "file_search_call.results"
AttributeValue = str | int | float | bool


class FileSearchRankingOptions(BaseModel):
    """`ranking_options` of the file_search tool; only `score_threshold` changes the search."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    ranker: str | None = None
    score_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    hybrid_search: dict[str, Any] | None = None


class FileSearchTool(BaseModel):
    """`{"type": "file_search", "vector_store_ids": ["sec-10k"], ...}`."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["file_search"]
    vector_store_ids: list[str] = Field(min_length=1, max_length=1)
    filters: dict[str, Any] | None = None
    max_num_results: int | None = Field(default=None, ge=1, le=50)
    ranking_options: FileSearchRankingOptions | None = None


class ResponsesRequest(BaseModel):
    """POST /v1/responses. Fields OpenAI defines that change nothing here are accepted and ignored."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)

    model: str = Field(min_length=1)
    input: str | list[dict[str, Any]]
    include: list[str] | None = None
    instructions: str | None = None
    max_output_tokens: int | None = Field(default=None, ge=1)
    metadata: dict[str, str] | None = Field(default=None, max_length=16)
    parallel_tool_calls: bool | None = None
    previous_response_id: str | None = Field(default=None, min_length=1, max_length=128)
    store: bool = True
    stream: bool = False
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    tool_choice: str | dict[str, Any] | None = None
    # Checked one by one (only file_search is served) so a wrong tool gets a 400 naming tools[i].
    tools: list[dict[str, Any]] | None = None
    top_p: float | None = Field(default=None, ge=0.0, le=1.0)
    truncation: str | None = None
    user: str | None = None

    @property
    def include_results(self) -> bool:
        """Whether the file_search_call item lists its results."""
        return FILE_SEARCH_RESULTS in (self.include or ())


class FileSearchResult(BaseModel):
    """One passage the file search returned."""

    attributes: dict[str, AttributeValue]
    file_id: str | None
    filename: str | None
    score: float
    text: str


class FileSearchCall(BaseModel):
    """The `file_search_call` output item."""

    id: str
    queries: list[str]
    status: Literal["in_progress", "searching", "completed", "incomplete", "failed"]
    type: Literal["file_search_call"] = "file_search_call"
    results: list[FileSearchResult] | None = None


class FileCitation(BaseModel):
    """A `[n]` in the answer: `index` is the marker's position in the text."""

    file_id: str
    filename: str
    index: int
    type: Literal["file_citation"] = "file_citation"


class OutputText(BaseModel):
    """The answer text."""

    annotations: list[FileCitation] = Field(default_factory=list)
    text: str = ""
    type: Literal["output_text"] = "output_text"
    logprobs: list[dict[str, Any]] = Field(default_factory=list)


class OutputMessage(BaseModel):
    """The `message` output item."""

    id: str
    content: list[OutputText] = Field(default_factory=list)
    role: Literal["assistant"] = "assistant"
    status: Literal["in_progress", "completed", "incomplete"] = "in_progress"
    type: Literal["message"] = "message"


class ResponseUsage(BaseModel):
    """Token usage, mapped from the upstream's chat usage."""

    input_tokens: int = 0
    input_tokens_details: dict[str, int] = Field(
        default_factory=lambda: {"cached_tokens": 0, "cache_write_tokens": 0}
    )
    output_tokens: int = 0
    output_tokens_details: dict[str, int] = Field(default_factory=lambda: {"reasoning_tokens": 0})
    total_tokens: int = 0


class ResponseError(BaseModel):
    """Why a response failed."""

    code: str
    message: str


class ResponseObject(BaseModel):
    """The `response` object; `grounding` (the figure check) is the gateway's addition."""

    id: str
    object: Literal["response"] = "response"
    created_at: int
    status: Literal["completed", "failed", "in_progress", "incomplete"]
    error: ResponseError | None = None
    incomplete_details: dict[str, str] | None = None
    instructions: str | None = None
    max_output_tokens: int | None = None
    model: str
    output: list[FileSearchCall | OutputMessage] = Field(default_factory=list)
    parallel_tool_calls: bool = True
    previous_response_id: str | None = None
    store: bool = True
    temperature: float | None = None
    text: dict[str, Any] = Field(default_factory=lambda: {"format": {"type": "text"}})
    tool_choice: str | dict[str, Any] = "auto"
    tools: list[dict[str, Any]] = Field(default_factory=list)
    top_p: float | None = None
    truncation: str = "disabled"
    usage: ResponseUsage | None = None
    user: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    grounding: dict[str, Any] | None = None


class DeletedResponse(BaseModel):
    """DELETE /v1/responses/{id}."""

    id: str
    object: Literal["response"] = "response"
    deleted: bool = True
