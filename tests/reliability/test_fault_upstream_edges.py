"""Edges of the retry rules: what is retried (nothing sent to the client yet), what is returned at once
(a Retry-After beyond the budget), and what exhausted retries look like."""

from __future__ import annotations

import time

import httpx
import pytest
from synthetic_upstream.tokens import expected_text

from reliability.openai_shape import assert_openai_error
from reliability.sse_client import ANSWER_TOKENS, chat_body

RETRIES = 3  # the suite's gateway setting


def post(gateway, **body) -> httpx.Response:
    return httpx.post(gateway.base_url + "/chat/completions", json=chat_body(**body), timeout=60)


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "non-stream"])
def test_retry_after_beyond_the_budget_is_returned_at_once(gateway, upstream, stream):
    upstream.control.set_faults(fail_next=1, fail_status=429, retry_after=30)
    started = time.monotonic()
    response = post(gateway, stream=stream)
    elapsed = time.monotonic() - started
    # documented: a Retry-After beyond RAG_RETRY_AFTER_MAX is handed back to the client, not waited for
    assert response.status_code in (429, 503), response.text
    assert response.headers["Retry-After"] == "30"
    assert_openai_error(response.json())
    assert elapsed < 3, f"the gateway waited {elapsed:.1f} s instead of handing the Retry-After back"
    assert upstream.control.stats()["attempts"] == 1


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "non-stream"])
def test_persistent_503_is_503_with_retry_after_after_all_attempts(gateway, upstream, stream):
    upstream.control.set_faults(fail_next=100, fail_status=503)
    response = post(gateway, stream=stream)
    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) >= 1
    assert_openai_error(response.json(), code="upstream_unavailable")
    assert upstream.control.stats()["attempts"] == RETRIES + 1


def test_non_stream_body_dropped_is_retried_into_one_clean_answer(gateway, upstream):
    upstream.control.set_faults(drop_after_tokens=3, drop_count=1)
    response = post(gateway, stream=False)
    assert response.status_code == 200, response.text
    assert [c["message"]["content"] for c in response.json()["choices"]] == [expected_text(ANSWER_TOKENS)]
    stats = upstream.control.stats()
    assert (stats["attempts"], stats["drops_injected"]) == (2, 1)
