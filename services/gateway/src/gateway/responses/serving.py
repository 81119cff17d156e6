"""Responses API: translated into one chat request that goes through ChatService's own path.

Retrieval, context fitting, the fenced prompt, upstream retries and the figure check are chat's; this module
only maps the request in (instructions + stored history + input as messages, the file_search tool as `rag`)
and the answer out (file_search_call and message items, file_citation annotations), and keeps responses.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from typing import Any

from pydantic_core import to_json
from starlette.responses import Response

from gateway.auth import ANONYMOUS
from gateway.chat.grounded import AnswerCheck, completion_texts
from gateway.chat.protocol import ChatCompletionRequest
from gateway.chat.serving import ChatService, PreparedChat
from gateway.errors import GatewayError
from gateway.http.deferred import DeferredResponse
from gateway.http.sse import DeferredSSEResponse
from gateway.responses.conversation import chat_messages, file_search_tool, input_messages, rag_options
from gateway.responses.output import ResponseBuilder, response_usage
from gateway.responses.protocol import DeletedResponse, ResponseObject, ResponsesRequest
from gateway.responses.store import ResponseStore
from gateway.responses.streaming import ResponseStream
from gateway.settings import GatewaySettings

logger = logging.getLogger(__name__)


def response_not_found(response_id: str) -> GatewayError:
    """404 for an unknown, expired, deleted or someone else's response."""
    return GatewayError(
        404,
        f"Response with id '{response_id[:80]}' not found.",
        param="response_id",
        code="response_not_found",
    )


def owner_of(principal: str) -> str:
    """Stored responses belong to the API key; without keys every caller shares them."""
    return principal if principal.startswith("key-") else ANONYMOUS


class ResponsesService:
    """Serves POST /v1/responses and GET/DELETE /v1/responses/{id}."""

    def __init__(self, settings: GatewaySettings, chat: ChatService, store: ResponseStore) -> None:
        self._settings = settings
        self._chat = chat
        self._store = store

    def metrics_label(self, model: str) -> str:
        """The model as a metrics label (chat's rule)."""
        return self._chat.metrics_label(model)

    async def create(self, request: ResponsesRequest, *, principal: str, base_url: str) -> Response:
        """Answer one Responses request (JSON or SSE)."""
        tool = file_search_tool(request.tools, self._settings.vector_store_id)
        turn = input_messages(request.input)
        history: list[dict[str, Any]] = []
        owner = owner_of(principal)
        if request.previous_response_id:
            previous = await self._store.get(request.previous_response_id, owner)
            if previous is None:
                error = response_not_found(request.previous_response_id)
                error.param = "previous_response_id"
                raise error
            history = previous.conversation
        chat_request = ChatCompletionRequest.model_validate(
            {
                "model": request.model,
                "messages": chat_messages(request.instructions, history, turn),
                "stream": request.stream,
                "rag": rag_options(tool),
                # Only what the client set goes upstream, as chat forwards only its clients' set fields.
                **{
                    name: value
                    for name, value in (
                        ("max_tokens", request.max_output_tokens),
                        ("temperature", request.temperature),
                        ("top_p", request.top_p),
                    )
                    if value is not None
                },
            }
        )
        try:
            prepared = await self._chat.prepare(chat_request)
        except GatewayError as error:
            if error.param == "max_tokens":
                error.param = "max_output_tokens"
                error.message = error.message.replace("max_tokens", "max_output_tokens")
            raise
        check = AnswerCheck.for_request(chat_request, self._settings.grounding, base_url)
        builder = ResponseBuilder(request, tool, prepared.sources, prepared.query)
        conversation = [*history, *turn]

        def grounding(text: str) -> dict[str, Any] | None:
            if tool is None:
                return None
            return self._chat.ground(prepared, check, {0: text}).grounding.model_dump()

        async def keep(response: ResponseObject, text: str) -> None:
            if not request.store:
                return
            messages = [*conversation, {"role": "assistant", "content": text}]
            try:
                await self._store.save(response.id, owner, response.model_dump(), messages)
            except sqlite3.Error:
                logger.exception("response %s not stored", response.id)

        if request.stream:
            return self._stream(prepared, builder, grounding, keep)

        async def answer() -> Response:
            body, upstream_seconds = await self._chat.complete_upstream(prepared)
            text = completion_texts(body).get(0, "")
            finish = next(iter(body.get("choices") or ()), {}).get("finish_reason")
            incomplete = finish == "length"
            message = builder.message(text, "incomplete" if incomplete else "completed")
            response = builder.response(
                "incomplete" if incomplete else "completed",
                builder.output(message),
                usage=response_usage(body.get("usage")),
                incomplete="max_output_tokens" if incomplete else None,
                grounding=grounding(text),
            )
            await keep(response, text)
            total = time.perf_counter() - prepared.started
            headers = prepared.headers(upstream=upstream_seconds, total=total)
            return Response(to_json(response), media_type="application/json", headers=headers)

        # The whole answer is awaited while the client is watched: one that leaves first cancels it.
        return DeferredResponse(answer)

    def _stream(
        self, prepared: PreparedChat, builder: ResponseBuilder, grounding: Any, keep: Any
    ) -> DeferredSSEResponse:
        deadline = asyncio.get_running_loop().time() + self._settings.total_timeout

        async def open_source() -> ResponseStream:
            # Retried until the upstream's first output, exactly as for chat; nothing is sent before.
            opened = await self._chat.open_upstream(prepared)
            return ResponseStream(
                opened,
                builder,
                deadline=deadline,
                on_usage=lambda usage: self._chat.record_usage(prepared.model, usage),
                grounding=grounding,
                on_done=keep,
            )

        return DeferredSSEResponse(
            open_source, prepared.headers(prepare=time.perf_counter() - prepared.started)
        )

    async def retrieve(self, response_id: str, *, principal: str) -> dict[str, Any]:
        """GET /v1/responses/{id}."""
        stored = await self._store.get(response_id, owner_of(principal))
        if stored is None:
            raise response_not_found(response_id)
        return stored.response

    async def delete(self, response_id: str, *, principal: str) -> DeletedResponse:
        """DELETE /v1/responses/{id}."""
        if not await self._store.delete(response_id, owner_of(principal)):
            raise response_not_found(response_id)
        return DeletedResponse(id=response_id)
