"""Chat completion request and source models, fields in OpenAI's order."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from retriever.file_ids import file_id
from retriever.hits import Hit


class ContentPart(BaseModel):
    """One part of a multi-part message content; non-text parts pass through to the upstream."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(min_length=1)
    text: str | None = None

    @model_validator(mode="after")
    def _text_parts_have_text(self) -> ContentPart:
        if self.type == "text" and self.text is None:
            raise ValueError("a text content part needs 'text'")
        return self


class ChatMessage(BaseModel):
    """One conversation message; unknown fields pass through to the upstream."""

    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None
    name: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    tool_call_id: str | None = None


class StreamOptions(BaseModel):
    """`stream_options`."""

    model_config = ConfigDict(extra="allow")

    include_usage: bool | None = None


class RagOptions(BaseModel):
    """Per-request retrieval settings, sent as `extra_body={"rag": {...}}`."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    enabled: bool | None = None
    vector_store_ids: list[str] | None = Field(default=None, min_length=1, max_length=1)
    max_num_results: int | None = Field(default=None, ge=1, le=50)
    score_threshold: float | None = Field(default=None, ge=-1.0, le=1.0)
    filters: dict[str, Any] | None = None
    # Scope the search to the companies, fiscal year, form and Items the conversation names (ANDed with
    # `filters` on the keys they leave open); false searches with `filters` alone.
    infer_filters: bool | None = None
    # Second retrieval stage: "fusion", "http" (when the deployment has a reranker server) or "none".
    rerank: Literal["fusion", "http", "none"] | None = None
    # "flag": list the answer's figures and those no source holds in `grounding`; "off": skip the check.
    grounding: Literal["flag", "off"] | None = None


class ChatCompletionRequest(BaseModel):
    """POST /v1/chat/completions. Unlisted fields (vLLM extras such as top_k) are passed through unchanged."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False)

    messages: list[ChatMessage] = Field(min_length=1)
    model: str = Field(min_length=1)
    audio: dict[str, Any] | None = None
    frequency_penalty: float | None = Field(default=None, ge=-2.0, le=2.0)
    function_call: str | dict[str, Any] | None = None
    functions: list[dict[str, Any]] | None = None
    logit_bias: dict[str, float] | None = None
    logprobs: bool | None = None
    max_completion_tokens: int | None = Field(default=None, ge=1)
    max_tokens: int | None = Field(default=None, ge=1)
    metadata: dict[str, str] | None = None
    modalities: list[str] | None = None
    n: int | None = Field(default=None, ge=1, le=16)
    parallel_tool_calls: bool | None = None
    prediction: dict[str, Any] | None = None
    presence_penalty: float | None = Field(default=None, ge=-2.0, le=2.0)
    reasoning_effort: str | None = None
    response_format: dict[str, Any] | None = None
    seed: int | None = None
    service_tier: str | None = None
    stop: str | list[str] | None = None
    store: bool | None = None
    stream: bool | None = False
    stream_options: StreamOptions | None = None
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    tool_choice: str | dict[str, Any] | None = None
    tools: list[dict[str, Any]] | None = None
    top_logprobs: int | None = Field(default=None, ge=0, le=20)
    top_p: float | None = Field(default=None, ge=0.0, le=1.0)
    user: str | None = None
    rag: RagOptions | None = None

    @property
    def requested_max_tokens(self) -> int | None:
        """`max_completion_tokens` wins over the deprecated `max_tokens`."""
        return self.max_completion_tokens or self.max_tokens


class Source(BaseModel):
    """A citation: the [index] number in the answer and where the passage comes from."""

    index: int
    score: float
    text: str
    ticker: str | None = None
    company: str | None = None
    cik: str | None = None
    form: str | None = None
    fiscal_year: int | None = None
    period_end: str | None = None
    item: str | None = None
    item_title: str | None = None
    page: int | None = None
    accession: str | None = None
    url: str | None = None
    # Stable id of the filing (GET /v1/files/{file_id}); the Responses API cites it as file_citation.file_id.
    file_id: str | None = None
    # The filing's file name (the Responses API's file_citation.filename and file_search results).
    filename: str | None = None

    @classmethod
    def from_hit(cls, number: int, hit: Hit) -> Source:
        """Source [number] for a retrieved hit."""
        m = hit.metadata
        return cls(
            index=number,
            score=round(float(hit.score), 6),
            text=hit.text,
            ticker=m.ticker,
            company=m.company,
            cik=m.cik,
            form=m.form,
            fiscal_year=m.fiscal_year,
            period_end=m.period_end,
            item=m.item,
            item_title=m.item_title,
            page=m.page,
            accession=m.accession,
            url=m.url,
            file_id=file_id(m),
            filename=m.source_file,
        )
