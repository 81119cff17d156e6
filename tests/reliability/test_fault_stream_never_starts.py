"""An upstream stream that closes before its first event: nothing reached the client, so it is retried; when
every attempt does it, the client gets a 502/503 status in OpenAI's shape, never a 500."""

from __future__ import annotations

import httpx
from synthetic_upstream.tokens import expected_text

from reliability.openai_shape import assert_openai_error
from reliability.sse_client import ANSWER_TOKENS, chat_body, stream_chat

RETRIES = 3  # the suite's gateway setting


async def test_stream_dropped_before_the_first_token_is_retried_cleanly(gateway, upstream):
    upstream.control.set_faults(drop_after_tokens=0, drop_count=1)
    async with httpx.AsyncClient(timeout=60) as http:
        result = await stream_chat(http, gateway.url, chat_body())
    assert result.status == 200 and result.errors == [] and result.done
    assert result.content == expected_text(ANSWER_TOKENS)
    assert upstream.control.stats()["attempts"] == 2


def test_stream_that_never_starts_is_a_502_or_503_status_not_a_500(gateway, upstream):
    upstream.control.set_faults(drop_after_tokens=0, drop_count=None)
    response = httpx.post(gateway.base_url + "/chat/completions", json=chat_body(), timeout=60)
    assert response.status_code in (502, 503), response.text
    assert response.headers["content-type"].startswith("application/json")
    assert_openai_error(response.json())
    assert upstream.control.stats()["attempts"] == RETRIES + 1
