"""POST /v1/responses, GET and DELETE /v1/responses/{response_id}."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from gateway.deps import Principal, ResponsesDep
from gateway.http.context import MODEL_SCOPE_KEY
from gateway.openapi import ERROR_RESPONSES
from gateway.responses.protocol import DeletedResponse, ResponseObject, ResponsesRequest

router = APIRouter()


@router.post(
    "/v1/responses",
    responses={
        **ERROR_RESPONSES,
        200: {
            "description": "A response object, or with stream=true an SSE stream of Responses events "
            "ending in response.completed (response.incomplete / response.failed).",
            "content": {"application/json": {}, "text/event-stream": {}},
            "model": ResponseObject,
        },
    },
)
async def create_response(
    body: ResponsesRequest, request: Request, responses: ResponsesDep, principal: Principal
) -> Response:
    """OpenAI Responses; the file_search tool searches the 10-K filings as chat completions do."""
    try:
        return await responses.create(body, principal=principal, base_url=str(request.base_url))
    finally:
        request.scope[MODEL_SCOPE_KEY] = responses.metrics_label(body.model)


@router.get("/v1/responses/{response_id}", responses=ERROR_RESPONSES, response_model=ResponseObject)
async def retrieve_response(response_id: str, responses: ResponsesDep, principal: Principal) -> Any:
    """A stored response."""
    return await responses.retrieve(response_id, principal=principal)


@router.delete("/v1/responses/{response_id}", responses=ERROR_RESPONSES)
async def delete_response(response_id: str, responses: ResponsesDep, principal: Principal) -> DeletedResponse:
    """Delete a stored response."""
    return await responses.delete(response_id, principal=principal)
