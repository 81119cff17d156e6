"""Shared OpenAPI fragments: every error is documented with OpenAI's error shape."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ErrorDetail(BaseModel):
    """OpenAI error object."""

    message: str
    type: str
    param: str | None = None
    code: str | None = None


class ErrorResponse(BaseModel):
    """{"error": {...}}."""

    error: ErrorDetail


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorResponse, "description": description}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _error("invalid_request_error: bad JSON, wrong types, bad filters"),
    401: _error("invalid_api_key"),
    404: _error("model_not_found / vector_store_not_found"),
    413: _error("request body too large"),
    429: _error("rate_limit_exceeded (Retry-After)"),
    502: _error("upstream failed"),
    503: _error("upstream unavailable or loading (Retry-After)"),
    504: _error("upstream timed out"),
}
