"""Error responses in vLLM's (and OpenAI's) shape."""

from typing import Any

from starlette.responses import JSONResponse

_ERROR_TYPES = {
    400: "BadRequestError",
    401: "AuthenticationError",
    404: "NotFoundError",
    413: "RequestTooLargeError",
    422: "BadRequestError",
    429: "RateLimitError",
    500: "InternalServerError",
    502: "BadGatewayError",
    503: "ServiceUnavailableError",
    504: "GatewayTimeoutError",
}


def error_body(status: int, message: str, param: str | None = None) -> dict[str, Any]:
    """``{"error": {message, type, param, code}}`` for ``status``."""
    err_type = _ERROR_TYPES.get(status, "APIError")
    return {"error": {"message": message, "type": err_type, "param": param, "code": status}}


def error_response(
    status: int, message: str, param: str | None = None, retry_after: float | None = None
) -> JSONResponse:
    """A JSON error response, with ``Retry-After`` when given."""
    headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else None
    return JSONResponse(error_body(status, message, param), status_code=status, headers=headers)
