"""A tiny OpenAI-style upstream whose streamed answer cites [1] and [2] (the synthetic one has no markers)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

CITED_MODEL = "cited-model"
ANSWER = (
    "Apple reported total net sales of $391,035 million [1]. "
    "Services kept growing [2], and an invented figure of $123,456 million appears here [1]."
)


def _chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
    body = {
        "id": "chatcmpl-cited",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": CITED_MODEL,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(body)}\n\n".encode()


async def _models(_: Request) -> JSONResponse:
    return JSONResponse(
        {
            "object": "list",
            "data": [{"id": CITED_MODEL, "object": "model", "owned_by": "test", "max_model_len": 4096}],
        }
    )


async def _chat(request: Request) -> Any:
    body = await request.json()
    if not body.get("stream"):
        message = {"role": "assistant", "content": ANSWER}
        return JSONResponse(
            {
                "id": "chatcmpl-cited",
                "object": "chat.completion",
                "created": 0,
                "model": CITED_MODEL,
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
        )

    async def events() -> AsyncIterator[bytes]:
        yield _chunk({"role": "assistant", "content": ""})
        for word in ANSWER.split(" "):
            await asyncio.sleep(0.01)
            yield _chunk({"content": word + " "})
        yield _chunk({}, "stop")
        yield b"data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


def cited_app() -> Starlette:
    """/v1/models and /v1/chat/completions for CITED_MODEL."""
    return Starlette(
        routes=[Route("/v1/models", _models), Route("/v1/chat/completions", _chat, methods=["POST"])]
    )
