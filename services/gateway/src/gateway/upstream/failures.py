"""Map upstream failures (openai SDK exceptions, timeouts) to gateway errors."""

from __future__ import annotations

import math

import aiohttp
import openai

from gateway.errors import GatewayError, from_upstream_body
from gateway.upstream.retry import EmptyUpstreamStream, retry_after_seconds


class FirstTokenTimeout(Exception):
    """The upstream produced no first event within the TTFT budget."""


class TotalTimeout(Exception):
    """The upstream did not finish within the total budget."""


def as_connection_error(exc: BaseException) -> BaseException:
    """An SDK timeout that really was a lost connection becomes the SDK's connection error.

    The aiohttp transport maps every `aiohttp.ClientConnectionError` (refused, reset, server disconnected)
    to httpx's ConnectTimeout, so the SDK raises APITimeoutError where the httpx transport raised
    APIConnectionError. Mapped back, both transports give 503 + warm-up for a down upstream.
    """
    if not isinstance(exc, openai.APITimeoutError):
        return exc
    cause: BaseException | None = exc.__cause__
    while cause is not None and not isinstance(cause, aiohttp.ClientError):
        cause = cause.__cause__ or cause.__context__
    if isinstance(cause, aiohttp.ClientConnectionError) and not isinstance(cause, TimeoutError):
        lost = openai.APIConnectionError(message=f"Connection error: {cause}", request=exc.request)
        lost.__cause__ = cause
        return lost
    return exc


def failure_kind(exc: BaseException) -> str:
    """Short label for metrics and logs."""
    if isinstance(exc, FirstTokenTimeout):
        return "ttft_timeout"
    if isinstance(exc, TotalTimeout | openai.APITimeoutError):
        return "timeout"
    if isinstance(exc, openai.APIConnectionError):
        return "connect"
    if isinstance(exc, openai.APIStatusError):
        return f"status_{exc.status_code}"
    if isinstance(exc, EmptyUpstreamStream):
        return "empty_stream"
    return "other"


def is_unavailable(exc: BaseException) -> bool:
    """True when the upstream looks down or still loading (worth a warm-up)."""
    if isinstance(exc, openai.APITimeoutError):
        return False
    if isinstance(exc, openai.APIConnectionError):
        return True
    return isinstance(exc, openai.APIStatusError) and exc.status_code == 503


def to_gateway_error(exc: BaseException, *, retry_after: int, ttft_timeout: float) -> GatewayError:
    """The client-facing error for an upstream failure that survived the retries."""
    retry_header = {"Retry-After": str(retry_after)}
    if isinstance(exc, FirstTokenTimeout):
        return GatewayError(
            504,
            f"The upstream model server produced no token within {ttft_timeout:g} s.",
            code="upstream_timeout",
        )
    if isinstance(exc, TotalTimeout | openai.APITimeoutError):
        return GatewayError(504, "The upstream model server timed out.", code="upstream_timeout")
    if isinstance(exc, EmptyUpstreamStream):
        return GatewayError(502, "The upstream model server closed the stream before any output.")
    if isinstance(exc, openai.APIConnectionError):
        return GatewayError(
            503,
            "The upstream model server is unavailable or still loading; retry later.",
            code="upstream_unavailable",
            headers=retry_header,
        )
    if isinstance(exc, openai.APIStatusError):
        error = from_upstream_body(exc.status_code, exc.body)
        if error.status == 503:
            delay = retry_after_seconds(exc)
            seconds = math.ceil(delay) if delay is not None else retry_after
            error.headers["Retry-After"] = str(max(1, seconds))
        return error
    return GatewayError(502, "The upstream model server failed to answer.")
