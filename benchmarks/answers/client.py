"""One streamed chat completion through the gateway, read as SSE lines: sources, text, usage, grounding."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Reply:
    """What one request gave back; `error` is set instead when it failed."""

    text: str = ""
    sources: list[dict[str, Any]] = field(default_factory=list)
    grounding: dict[str, Any] | None = None
    usage: dict[str, Any] | None = None
    ttft_s: float | None = None
    latency_s: float = 0.0
    finish_reason: str | None = None
    error: str | None = None


def _absorb(reply: Reply, event: dict[str, Any], started: float) -> None:
    if event.get("sources"):
        reply.sources = event["sources"]
    if event.get("grounding") is not None:
        reply.grounding = event["grounding"]
    if event.get("usage"):
        reply.usage = event["usage"]
    for choice in event.get("choices") or []:
        delta = choice.get("delta") or {}
        if delta.get("content"):
            if reply.ttft_s is None:
                reply.ttft_s = time.perf_counter() - started
            reply.text += delta["content"]
        if choice.get("finish_reason"):
            reply.finish_reason = choice["finish_reason"]


async def ask(client: httpx.AsyncClient, url: str, body: dict[str, Any], headers: dict[str, str]) -> Reply:
    """Stream one chat completion and collect its parts."""
    reply = Reply()
    started = time.perf_counter()
    try:
        async with client.stream("POST", url, json=body, headers=headers) as response:
            if response.status_code != 200:
                detail = (await response.aread()).decode("utf-8", "replace")[:300]
                reply.error = f"HTTP {response.status_code}: {detail}"
                return reply
            async for line in response.aiter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                _absorb(reply, json.loads(data), started)
    except (httpx.HTTPError, json.JSONDecodeError) as exc:
        reply.error = f"{type(exc).__name__}: {exc}"
    finally:
        reply.latency_s = time.perf_counter() - started
    return reply
