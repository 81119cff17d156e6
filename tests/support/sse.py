"""Reading OpenAI chat-completion SSE lines in tests."""

from __future__ import annotations

import json

import httpx


def content_token(line: str) -> int:
    """1 when the SSE line carries a content token."""
    if not line.startswith("data: {"):
        return 0
    choices = json.loads(line[6:]).get("choices") or [{}]
    return 1 if (choices[0].get("delta") or {}).get("content") else 0


async def read_tokens(response: httpx.Response, count: int) -> int:
    """Read the stream until `count` content tokens have arrived (or it ends); the tokens read."""
    tokens = 0
    async for line in response.aiter_lines():
        tokens += content_token(line)
        if tokens == count:
            break
    return tokens
