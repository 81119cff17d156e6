"""Scenario 3: the upstream drops the connection after N streamed tokens. The client gets those tokens, then
`data: {"error": ...}`, then `data: [DONE]`; nothing is replayed and the gateway serves the next request."""

from __future__ import annotations

import httpx
from synthetic_upstream.tokens import expected_text

from reliability.openai_shape import assert_openai_error
from reliability.sse_client import chat_body, stream_chat

DROP_AFTER = 5


async def test_tokens_then_error_frame_then_done_without_replay(gateway, upstream):
    upstream.control.set_faults(drop_after_tokens=DROP_AFTER, drop_count=1)
    async with httpx.AsyncClient(timeout=30) as http:
        result = await stream_chat(http, gateway.url, chat_body(max_tokens=40))
        assert result.status == 200
        assert result.content == expected_text(DROP_AFTER), "tokens were lost or replayed"
        assert len(result.errors) == 1
        assert "error" in result.events[-1], "the error frame must be the last event before [DONE]"
        assert_openai_error({"error": result.errors[0]})
        assert result.done and result.events_after_done == 0
        stats = upstream.control.stats()
        assert (stats["attempts"], stats["drops_injected"]) == (1, 1), "a retry after bytes were sent"

        assert (await http.get(gateway.url + "/health")).status_code == 200
        again = await stream_chat(http, gateway.url, chat_body(max_tokens=40))
    assert again.status == 200 and again.errors == [] and again.done
    assert again.content == expected_text(40)
    assert upstream.control.stats()["attempts"] == 2


async def test_raw_wire_order_of_the_interrupted_stream(gateway, upstream):
    upstream.control.set_faults(drop_after_tokens=DROP_AFTER, drop_count=1)
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(gateway.url + "/v1/chat/completions", json=chat_body(max_tokens=40))
    frames = [line for line in response.text.split("\n\n") if line]
    assert frames[-1] == "data: [DONE]"
    assert frames[-2].startswith('data: {"error":')
    assert all(frame.startswith("data: ") for frame in frames)
