"""POST /v1/chat/completions."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from gateway.chat.protocol import ChatCompletionRequest
from gateway.deps import ChatDep, Principal
from gateway.http.context import MODEL_SCOPE_KEY
from gateway.openapi import ERROR_RESPONSES

router = APIRouter()


@router.post(
    "/v1/chat/completions",
    responses={
        **ERROR_RESPONSES,
        200: {
            "description": "A chat.completion object, or with stream=true an SSE stream of "
            "chat.completion.chunk "
            "events ending in [DONE]; both carry a top-level `sources` list when RAG is on, `url_citation` "
            "annotations of the [n] markers (message.annotations, or one delta after the content) and a "
            "top-level `grounding` figure check (streaming: the last chunk before [DONE]).",
            "content": {"application/json": {}, "text/event-stream": {}},
        },
    },
)
async def create_chat_completion(
    body: ChatCompletionRequest, request: Request, chat: ChatDep, _: Principal
) -> Response:
    """OpenAI chat completions, grounded in 10-K filings."""
    try:
        # The request's own base URL (scheme and host as the client reached us) makes citation URLs absolute.
        return await chat.create(body, base_url=str(request.base_url))
    finally:
        request.scope[MODEL_SCOPE_KEY] = chat.metrics_label(body.model)
