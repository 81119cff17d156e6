"""OpenAI chat-completions request model and pre-encoded response pieces."""

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class StreamOptions(BaseModel):
    """``stream_options`` of a chat request."""

    model_config = ConfigDict(extra="allow")

    include_usage: bool = False


class ChatCompletionRequest(BaseModel):
    """The fields the synthetic upstream reads; others are accepted and ignored like vLLM does."""

    model_config = ConfigDict(extra="allow")

    model: str
    messages: list[dict[str, Any]] = Field(min_length=1)
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    n: int = Field(default=1, ge=1, le=1)


def count_prompt_tokens(messages: list[dict[str, Any]]) -> int:
    """Whitespace-word count of the message texts, a stand-in for a tokenizer."""
    words = 0
    for message in messages:
        content = message.get("content")
        if isinstance(content, str):
            words += len(content.split())
        elif isinstance(content, list):
            words += sum(len(str(part.get("text", "")).split()) for part in content if isinstance(part, dict))
    return words


def usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    """OpenAI usage block."""
    return {
        "prompt_tokens": prompt_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "completion_tokens": completion_tokens,
    }


class ChunkEncoder:
    """Builds SSE chunk bytes by splicing token text into a pre-encoded template (tokens need no escaping)."""

    def __init__(self, request_id: str, created: int, model: str, include_usage: bool) -> None:
        self._head = (
            f'data: {{"id":"{request_id}","object":"chat.completion.chunk","created":{created},'
            f'"model":{json.dumps(model)},"choices":['
        )
        self._tail = ',"usage":null}\n\n' if include_usage else "}\n\n"
        self._content_head = (self._head + '{"index":0,"delta":{"content":"').encode()
        self._content_tail = ('"},"logprobs":null,"finish_reason":null}]' + self._tail).encode()

    def role(self) -> bytes:
        """First chunk: the assistant role with empty content, as vLLM sends it."""
        choice = '{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]'
        return (self._head + choice + self._tail).encode()

    def content(self, text: str) -> bytes:
        """A content chunk carrying ``text``."""
        return self._content_head + text.encode() + self._content_tail

    def finish(self, reason: str) -> bytes:
        """The chunk with an empty delta and the finish reason."""
        choice = f'{{"index":0,"delta":{{}},"logprobs":null,"finish_reason":"{reason}"}}]'
        return (self._head + choice + self._tail).encode()

    def usage_chunk(self, prompt_tokens: int, completion_tokens: int) -> bytes:
        """The final usage chunk with no choices (``stream_options.include_usage``)."""
        return (
            self._head + "]," + f'"usage":{json.dumps(usage(prompt_tokens, completion_tokens))}}}\n\n'
        ).encode()


DONE = b"data: [DONE]\n\n"
