"""Retry policy towards upstreams: exponential backoff with jitter, honouring Retry-After."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable

import httpx2
import openai
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


class EmptyUpstreamStream(Exception):
    """The upstream closed its stream before sending a single event (safe to retry)."""


def retry_after_seconds(exc: BaseException | None) -> float | None:
    """Seconds from an upstream error's Retry-After header (delta or HTTP date), if any."""
    if not isinstance(exc, openai.APIStatusError):
        return None
    value = exc.response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def is_retryable(exc: BaseException, retry_after_max: float) -> bool:
    """Connection errors and 429/5xx are retried, 4xx never; a Retry-After over budget is not waited for."""
    if isinstance(exc, openai.APITimeoutError):
        return isinstance(exc.__cause__, httpx2.ConnectTimeout)
    if isinstance(exc, openai.APIConnectionError | EmptyUpstreamStream):
        return True
    if isinstance(exc, openai.APIStatusError) and exc.status_code in RETRYABLE_STATUS:
        delay = retry_after_seconds(exc)
        return delay is None or delay <= retry_after_max
    return False


def build_retrying(
    *,
    retries: int,
    backoff_initial: float,
    backoff_max: float,
    retry_after_max: float,
    on_retry: Callable[[RetryCallState], None] | None = None,
) -> AsyncRetrying:
    """A fresh tenacity controller for one upstream call."""
    backoff = wait_exponential_jitter(multiplier=backoff_initial, max=backoff_max, jitter=backoff_initial)

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        delay = retry_after_seconds(exc)
        return min(delay, retry_after_max) if delay is not None else backoff(state)

    return AsyncRetrying(
        retry=retry_if_exception(lambda exc: is_retryable(exc, retry_after_max)),
        stop=stop_after_attempt(retries + 1),
        wait=wait,
        before_sleep=on_retry,
        reraise=True,
    )
