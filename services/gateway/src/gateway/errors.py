"""The one error factory: every error leaves the gateway as {"error": {message, type, param, code}}."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger(__name__)

_TYPE_BY_STATUS = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "invalid_request_error",
    404: "invalid_request_error",
    405: "invalid_request_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
    500: "server_error",
    502: "upstream_error",
    503: "service_unavailable",
    504: "timeout_error",
}
_CODE_BY_STATUS = {
    401: "invalid_api_key",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
    429: "rate_limit_exceeded",
    500: "internal_error",
    502: "bad_gateway",
    503: "upstream_unavailable",
    504: "upstream_timeout",
}


class GatewayError(Exception):
    """An error with everything needed to answer the client in OpenAI's shape."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str | None = None,
        param: str | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type or _TYPE_BY_STATUS.get(
            status, "server_error" if status >= 500 else "invalid_request_error"
        )
        self.param = param
        self.code = code or _CODE_BY_STATUS.get(status)
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        """The JSON body: {"error": {...}}."""
        return error_body(self.message, self.type, self.param, self.code)


def error_body(message: str, type: str, param: str | None = None, code: str | None = None) -> dict[str, Any]:
    """OpenAI's error object."""
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def create_error_response(error: GatewayError) -> JSONResponse:
    """Render a GatewayError as a JSON response."""
    return JSONResponse(error.body(), status_code=error.status, headers=error.headers or None)


def invalid_request(message: str, param: str | None = None, code: str | None = None) -> GatewayError:
    """400 invalid_request_error."""
    return GatewayError(400, message, param=param, code=code)


def model_not_found(model: str) -> GatewayError:
    """404 for a model no upstream serves."""
    return GatewayError(404, f"The model '{model}' does not exist.", param="model", code="model_not_found")


# pydantic appends the union member it tried to `loc` ("str", "list[str]", "function-after[...]",
# "ChatToolChoice"); clients only know their own field names, so those segments are dropped.
_TYPE_TAGS = frozenset({"str", "int", "float", "bool", "bytes", "list", "dict", "none", "null"})


def _is_type_tag(part: str) -> bool:
    return part in _TYPE_TAGS or "[" in part or "-" in part or part[:1].isupper()


def loc_to_param(loc: Sequence[int | str]) -> str | None:
    """("body", "messages", 0, "content", "str") -> "messages[0].content"."""
    parts = list(loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc)
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not _is_type_tag(part):
            text += f".{part}" if text else str(part)
    return text or None


def from_validation_errors(errors: Sequence[Mapping[str, Any]]) -> GatewayError:
    """Build a 400 from pydantic's structured errors, never from str(exc) (it can leak internals)."""
    if not errors:
        return invalid_request("Invalid request.")
    first = errors[0]
    if first.get("type") == "json_invalid":
        return invalid_request("The request body is not valid JSON.", code="invalid_json")
    # A union field that fails every member yields one error per member: describe the field once.
    by_param: dict[str | None, list[str]] = {}
    for error in errors:
        messages = by_param.setdefault(loc_to_param(tuple(error.get("loc", ()))), [])
        message = str(error.get("msg", "invalid value"))
        if message not in messages:
            messages.append(message)
    descriptions = []
    for param, messages in list(by_param.items())[:3]:
        text = (
            messages[0]
            if len(messages) == 1
            else " or ".join(m.removeprefix("Input should be ") for m in messages)
        )
        descriptions.append(f"{param}: {text}" if param else text)
    if len(by_param) > 3:
        descriptions.append(f"and {len(by_param) - 3} more")
    return invalid_request("; ".join(descriptions), param=next(iter(by_param)))


def from_upstream_body(status: int, body: object) -> GatewayError:
    """Rewrite an upstream (vLLM) error body into ours; vLLM uses either {"error": {...}} or a flat form."""
    detail: Mapping[str, Any] = {}
    if isinstance(body, Mapping):
        nested = body.get("error")
        detail = nested if isinstance(nested, Mapping) else body
    message = detail.get("message") if isinstance(detail.get("message"), str) else None
    param = detail.get("param") if isinstance(detail.get("param"), str) else None
    if 400 <= status < 500 and status not in (408, 429):
        code = detail.get("code") if isinstance(detail.get("code"), str) else None
        if status == 404:
            return GatewayError(
                404, message or "Not found upstream.", param=param, code=code or "model_not_found"
            )
        return GatewayError(
            400 if status in (400, 422) else status,
            message or "Rejected by upstream.",
            param=param,
            code=code,
        )
    if status == 504:
        return GatewayError(504, "The upstream model server timed out.")
    if status in (429, 503):
        return GatewayError(503, "The upstream model server is busy or unavailable; retry later.")
    return GatewayError(502, "The upstream model server failed to answer.")


async def _on_gateway_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, GatewayError)
    return create_error_response(exc)


async def _on_validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return create_error_response(from_validation_errors(exc.errors()))


async def _on_http_exception(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    if status == 400:
        message = "The request body could not be parsed (is it valid UTF-8 JSON?)."
    elif status == 404:
        message = "Unknown URL."
    elif status == 405:
        message = "Method not allowed for this URL."
    else:
        message = exc.detail if isinstance(exc.detail, str) else "Request failed."
    return create_error_response(GatewayError(status, message, headers=exc.headers))


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.error("unhandled error on %s", request.url.path, exc_info=exc)
    return create_error_response(GatewayError(500, "Internal server error."))


def install_error_handlers(app: FastAPI) -> None:
    """Route every exception type to the one factory."""
    app.add_exception_handler(GatewayError, _on_gateway_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(Exception, _on_unexpected)
