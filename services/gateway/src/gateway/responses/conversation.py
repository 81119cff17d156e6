"""Pure translation of a Responses request into chat messages and retrieval options."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from retriever.filters import FilterError, parse_filter

from gateway.chat.protocol import RagOptions
from gateway.errors import GatewayError, from_validation_errors, invalid_request
from gateway.responses.protocol import FileSearchTool

_ROLES = {"user": "user", "assistant": "assistant", "system": "system", "developer": "system"}
_TEXT_PARTS = frozenset({"input_text", "output_text", "text"})
# Output items a client may send back as input (the Agents SDK replays a whole turn); they carry no text
# the model needs: the assistant message after them holds the answer.
_SKIPPED_ITEMS = frozenset({"file_search_call", "reasoning"})


def file_search_tool(tools: Sequence[dict[str, Any]] | None, store_id: str) -> FileSearchTool | None:
    """The one file_search tool of a request, validated (filters included); None without tools."""
    found: FileSearchTool | None = None
    for position, raw in enumerate(tools or ()):
        kind = raw.get("type")
        if kind != "file_search":
            raise invalid_request(
                f"Tool type {str(kind)[:40]!r} is not supported; this gateway serves 'file_search'.",
                param=f"tools[{position}].type",
                code="unsupported_tool",
            )
        if found is not None:
            raise invalid_request("Only one file_search tool may be given.", param=f"tools[{position}]")
        try:
            tool = FileSearchTool.model_validate(raw)
        except ValidationError as exc:
            errors = [{**e, "loc": ("tools", position, *e["loc"])} for e in exc.errors()]
            raise from_validation_errors(errors) from None
        for number, vector_store_id in enumerate(tool.vector_store_ids):
            if vector_store_id != store_id:
                raise GatewayError(
                    404,
                    f"No vector store found with id '{vector_store_id[:80]}'.",
                    param=f"tools[{position}].vector_store_ids[{number}]",
                    code="vector_store_not_found",
                )
        try:
            parse_filter(tool.filters)
        except RecursionError:
            raise invalid_request(
                "filters are nested too deeply.", param=f"tools[{position}].filters"
            ) from None
        except FilterError as exc:
            raise invalid_request(str(exc), param=f"tools[{position}].{exc.param or 'filters'}") from None
        found = tool
    return found


def rag_options(tool: FileSearchTool | None) -> RagOptions:
    """Chat's retrieval options for the tool: the same search, or none without it."""
    if tool is None:
        return RagOptions(enabled=False)
    threshold = tool.ranking_options.score_threshold if tool.ranking_options else None
    return RagOptions(
        enabled=True,
        vector_store_ids=tool.vector_store_ids,
        max_num_results=tool.max_num_results,
        score_threshold=threshold,
        filters=tool.filters,
    )


def _content_text(content: object, param: str) -> str:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise invalid_request("content must be a string or a list of text parts.", param=param)
    texts = []
    for number, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind not in _TEXT_PARTS or not isinstance(part.get("text"), str):
            raise invalid_request(
                f"Content part type {str(kind)[:40]!r} is not supported; send input_text.",
                param=f"{param}[{number}]",
            )
        texts.append(part["text"])
    return "".join(texts)


def input_messages(items: str | Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """`input` as chat messages: a string is one user message; message items keep their role."""
    if isinstance(items, str):
        return [{"role": "user", "content": items}]
    messages: list[dict[str, Any]] = []
    for position, item in enumerate(items):
        kind = item.get("type", "message")
        if kind in _SKIPPED_ITEMS:
            continue
        role = item.get("role")
        if kind != "message" or role not in _ROLES:
            what = f"role {str(role)[:20]!r}" if kind == "message" else f"item type {str(kind)[:40]!r}"
            raise invalid_request(f"Input {what} is not supported.", param=f"input[{position}]")
        text = _content_text(item.get("content"), f"input[{position}].content")
        messages.append({"role": _ROLES[role], "content": text})
    if not any(m["role"] == "user" for m in messages):
        raise invalid_request("input must contain a user message.", param="input")
    return messages


def chat_messages(
    instructions: str | None, history: Sequence[dict[str, Any]], turn: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Instructions first (as chat's leading system message), then the earlier turns, then this input."""
    head = [{"role": "system", "content": instructions}] if instructions else []
    return [*head, *history, *turn]
