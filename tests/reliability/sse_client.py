"""A raw streaming chat client (httpx): every SSE event, the text, [DONE], error frames and TTFT."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

MODEL = "synthetic-model"


ANSWER_TOKENS = 16  # asked for explicitly: without max_tokens the gateway sends its 512-token answer budget


def chat_body(content: str = "What was Acme's revenue in fiscal 2024?", **extra: Any) -> dict[str, Any]:
    """A streaming chat request body for the synthetic model (which answers exactly max_tokens tokens)."""
    return {
        "model": MODEL,
        "messages": [{"role": "user", "content": content}],
        "stream": True,
        "max_tokens": ANSWER_TOKENS,
        **extra,
    }


@dataclass
class StreamResult:
    """What one streamed chat request returned."""

    status: int
    headers: httpx.Headers
    body: bytes = b""
    events: list[Any] = field(default_factory=list)
    content: str = ""
    done: bool = False
    errors: list[dict[str, Any]] = field(default_factory=list)
    events_after_done: int = 0
    ttft_s: float | None = None
    fingerprints: list[str] = field(default_factory=list)

    @property
    def error_body(self) -> Any:
        """The JSON body of a non-200 answer."""
        return json.loads(self.body)


def _consume(result: StreamResult, data: str, started: float) -> None:
    if result.done:
        result.events_after_done += 1
        return
    if data == "[DONE]":
        result.done = True
        return
    event = json.loads(data)
    result.events.append(event)
    if "error" in event:
        result.errors.append(event["error"])
        return
    if event.get("system_fingerprint"):
        result.fingerprints.append(event["system_fingerprint"])
    for choice in event.get("choices") or []:
        text = (choice.get("delta") or {}).get("content")
        if text:
            if result.ttft_s is None:
                result.ttft_s = time.perf_counter() - started
            result.content += text


async def stream_chat(
    client: httpx.AsyncClient, url: str, body: dict[str, Any], headers: dict[str, str] | None = None
) -> StreamResult:
    """POST a streaming chat request and read it to the end."""
    started = time.perf_counter()
    async with client.stream("POST", url + "/v1/chat/completions", json=body, headers=headers) as response:
        result = StreamResult(response.status_code, response.headers)
        if response.status_code != 200:
            result.body = await response.aread()
            return result
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                _consume(result, line[6:], started)
    return result
