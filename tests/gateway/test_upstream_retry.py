"""Retry rules: which upstream failures are retried and how long to wait."""

import httpx2
import openai
from gateway.upstream.retry import is_retryable, retry_after_seconds


def status_error(status: int, retry_after: str | None = None) -> openai.APIStatusError:
    request = httpx2.Request("POST", "http://upstream/v1/chat/completions")
    headers = {"retry-after": retry_after} if retry_after else {}
    response = httpx2.Response(status, headers=headers, request=request)
    return openai.APIStatusError("failed", response=response, body=None)


def test_retryable_statuses_and_never_4xx():
    for status in (429, 500, 502, 503, 504):
        assert is_retryable(status_error(status), retry_after_max=5)
    for status in (400, 401, 404, 422):
        assert not is_retryable(status_error(status), retry_after_max=5)


def test_connection_errors_are_retried_read_timeouts_are_not():
    request = httpx2.Request("POST", "http://upstream")
    assert is_retryable(openai.APIConnectionError(request=request), retry_after_max=5)
    assert not is_retryable(openai.APITimeoutError(request=request), retry_after_max=5)


def test_retry_after_is_honoured_up_to_the_budget():
    assert retry_after_seconds(status_error(429, "2")) == 2.0
    assert is_retryable(status_error(429, "2"), retry_after_max=5)
    assert not is_retryable(status_error(503, "120"), retry_after_max=5)
    assert retry_after_seconds(status_error(503)) is None
