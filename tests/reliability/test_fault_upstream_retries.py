"""Scenario 2: the upstream fails twice (500/502/503), then succeeds: one clean answer, exactly 3 attempts.
A 429 with `Retry-After: 1` is honoured before the retry."""

from __future__ import annotations

import httpx
import pytest
from synthetic_upstream.tokens import expected_text

from reliability.sse_client import ANSWER_TOKENS, chat_body, stream_chat


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_two_failures_then_one_clean_stream(gateway, upstream, status):
    upstream.control.set_faults(fail_next=2, fail_status=status)
    async with httpx.AsyncClient(timeout=30) as http:
        result = await stream_chat(http, gateway.url, chat_body())
    assert result.status == 200, result.body
    assert result.errors == []
    assert result.done and result.events_after_done == 0
    assert result.content == expected_text(ANSWER_TOKENS)
    stats = upstream.control.stats()
    assert (stats["attempts"], stats["errors_injected"], stats["completed"]) == (3, 2, 1)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_two_failures_then_one_clean_answer(gateway, upstream, status):
    upstream.control.set_faults(fail_next=2, fail_status=status)
    response = httpx.post(gateway.base_url + "/chat/completions", json=chat_body(stream=False), timeout=30)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [choice["message"]["content"] for choice in body["choices"]] == [expected_text(ANSWER_TOKENS)]
    stats = upstream.control.stats()
    assert (stats["attempts"], stats["errors_injected"], stats["completed"]) == (3, 2, 1)


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "non-stream"])
def test_429_retry_after_one_second_is_honoured(gateway, upstream, stream):
    upstream.control.set_faults(fail_next=1, fail_status=429, retry_after=1)
    response = httpx.post(gateway.base_url + "/chat/completions", json=chat_body(stream=stream), timeout=30)
    assert response.status_code == 200, response.text
    assert "data: [DONE]" in response.text if stream else response.json()["choices"]
    stats = upstream.control.stats()
    assert (stats["attempts"], stats["errors_injected"]) == (2, 1)
    first, second = (request["received_at"] for request in stats["requests"])
    # the upstream's clock stamps both attempts; allow for timer granularity only
    assert second - first >= 0.98, f"retried {second - first:.3f} s after a Retry-After of 1 s"
