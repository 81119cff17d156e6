"""The response object and its output items, built from a prepared chat call and the upstream's answer."""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gateway.grounding import citation_markers
from gateway.responses.protocol import (
    FileCitation,
    FileSearchCall,
    FileSearchResult,
    FileSearchTool,
    OutputMessage,
    OutputText,
    ResponseError,
    ResponseObject,
    ResponsesRequest,
    ResponseUsage,
)

# Source fields that are the result itself rather than attributes of the filing.
_NOT_ATTRIBUTES = frozenset({"index", "score", "text", "file_id", "filename"})


def new_id(prefix: str) -> str:
    """An OpenAI-style id such as `resp_6f1c...` (unguessable: stored responses are fetched by id)."""
    return f"{prefix}_{secrets.token_hex(24)}"


def search_results(sources: Sequence[Mapping[str, Any]]) -> list[FileSearchResult]:
    """The sources the prompt was built with, in `[n]` order, as file search results."""
    return [
        FileSearchResult(
            attributes={
                key: value
                for key, value in source.items()
                if key not in _NOT_ATTRIBUTES and isinstance(value, str | int | float | bool)
            },
            file_id=source.get("file_id"),
            filename=source.get("filename"),
            score=float(source.get("score") or 0.0),
            text=str(source.get("text") or ""),
        )
        for source in sources
    ]


def file_citations(text: str, sources: Sequence[Mapping[str, Any]]) -> list[FileCitation]:
    """One `file_citation` per `[n]` that names a source; `index` is where the marker starts."""
    known = {int(source["index"]): source for source in sources}
    citations = []
    for marker in citation_markers(text):
        source = known.get(marker.number)
        if source is None or not source.get("file_id"):
            continue
        citations.append(
            FileCitation(
                file_id=str(source["file_id"]),
                filename=str(source.get("filename") or source["file_id"]),
                index=marker.start,
            )
        )
    return citations


def response_usage(usage: object) -> ResponseUsage | None:
    """Chat usage (prompt/completion tokens) as Responses usage (input/output tokens)."""
    if not isinstance(usage, Mapping):
        return None
    prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
    prompt = prompt if isinstance(prompt, int) else 0
    completion = completion if isinstance(completion, int) else 0
    return ResponseUsage(input_tokens=prompt, output_tokens=completion, total_tokens=prompt + completion)


@dataclass
class ResponseBuilder:
    """Ids and request echo of one response; builds its items and the object in every state."""

    request: ResponsesRequest
    tool: FileSearchTool | None
    sources: list[dict[str, Any]] | None
    query: str | None
    id: str = field(default_factory=lambda: new_id("resp"))
    search_id: str = field(default_factory=lambda: new_id("fs"))
    message_id: str = field(default_factory=lambda: new_id("msg"))
    created_at: int = field(default_factory=lambda: int(time.time()))

    def search_call(self, status: str = "completed") -> FileSearchCall | None:
        """The file_search_call item (None without the tool); results only when `include` asks."""
        if self.tool is None:
            return None
        done = status == "completed"
        results = search_results(self.sources or ()) if done and self.request.include_results else None
        queries = [self.query] if self.query else []
        return FileSearchCall(id=self.search_id, queries=queries, status=status, results=results)  # type: ignore[arg-type]

    def message(self, text: str | None = None, status: str = "in_progress") -> OutputMessage:
        """The message item: empty while in progress, with the text and its citations when done."""
        content = [] if text is None else [OutputText(text=text, annotations=self.citations(text))]
        return OutputMessage(id=self.message_id, content=content, status=status)  # type: ignore[arg-type]

    def citations(self, text: str) -> list[FileCitation]:
        """file_citation annotations of the answer (none without file search)."""
        return file_citations(text, self.sources) if self.sources else []

    def output(self, message: OutputMessage | None) -> list[FileSearchCall | OutputMessage]:
        """The output list: the finished search call, then the message if there is one."""
        search = self.search_call()
        return [item for item in (search, message) if item is not None]

    def response(
        self,
        status: str,
        output: list[FileSearchCall | OutputMessage] | None = None,
        *,
        usage: ResponseUsage | None = None,
        error: ResponseError | None = None,
        incomplete: str | None = None,
        grounding: dict[str, Any] | None = None,
    ) -> ResponseObject:
        """The response object in `status`."""
        r = self.request
        return ResponseObject(
            id=self.id,
            created_at=self.created_at,
            status=status,  # type: ignore[arg-type]
            error=error,
            incomplete_details={"reason": incomplete} if incomplete else None,
            instructions=r.instructions,
            max_output_tokens=r.max_output_tokens,
            model=r.model,
            output=output or [],
            parallel_tool_calls=r.parallel_tool_calls if r.parallel_tool_calls is not None else True,
            previous_response_id=r.previous_response_id,
            store=r.store,
            temperature=r.temperature,
            tool_choice=r.tool_choice or "auto",
            tools=[self.tool.model_dump(exclude_none=True)] if self.tool else [],
            top_p=r.top_p,
            truncation=r.truncation or "disabled",
            usage=usage,
            user=r.user,
            metadata=r.metadata or {},
            grounding=grounding,
        )
