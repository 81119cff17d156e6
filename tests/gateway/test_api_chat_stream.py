"""Streaming chat: sources first, pass-through chunks, usage, [DONE]."""

import json

import httpx
import openai
from conftest import MODEL

QUESTION = "What does NVIDIA say about data center revenue?"


def sse_events(response: httpx.Response) -> list[str]:
    return [line[6:] for line in response.iter_lines() if line.startswith("data: ")]


def test_first_chunk_carries_sources_before_any_content(client):
    stream = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": QUESTION}], max_tokens=5, stream=True
    )
    chunks = list(stream)
    first = chunks[0]
    assert first.model_extra["sources"]
    assert first.choices[0].delta.content in ("", None)
    assert first.system_fingerprint.startswith("rag-index-")
    assert all("sources" not in (c.model_extra or {}) for c in chunks[1:])
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "t0 t1 t2 t3 t4"
    assert len({c.id for c in chunks}) == 1


async def test_async_streaming(gateway):
    async with openai.AsyncOpenAI(base_url=gateway.base_url, api_key="x", max_retries=0) as sdk:
        stream = await sdk.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": QUESTION}],
            max_tokens=4,
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [chunk async for chunk in stream]
    assert chunks[0].model_extra["sources"]
    usage, grounding = chunks[-2], chunks[-1]  # the grounding chunk comes after the usage chunk
    assert usage.choices == [] and usage.usage.completion_tokens == 4
    assert grounding.choices == [] and grounding.model_extra["grounding"]["checked"] is True


def test_usage_chunk_only_when_asked_and_stream_ends_with_done(gateway, upstream, http):
    body = {
        "model": MODEL,
        "messages": [{"role": "user", "content": QUESTION}],
        "max_tokens": 3,
        "stream": True,
    }
    with http.stream("POST", gateway.base_url + "/chat/completions", json=body) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["x-rag-index-version"]
        timing = response.headers["server-timing"]  # where the time before the upstream call went
        assert all(part in timing for part in ("embed;dur=", "search;dur=", "prepare;dur="))
        events = sse_events(response)
    assert events[-1] == "[DONE]"
    payloads = [json.loads(e) for e in events[:-1]]
    assert not any(p.get("usage") for p in payloads)  # no usage chunk leaked
    assert payloads[-1]["choices"] == [] and "grounding" in payloads[-1]
    assert upstream.control.last_request()["stream_options"] == {"include_usage": True}


def test_stream_without_rag_is_relayed_verbatim(gateway, http):
    body = {
        "model": MODEL,
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": 2,
        "stream": True,
        "rag": {"enabled": False},
    }
    with http.stream("POST", gateway.base_url + "/chat/completions", json=body) as response:
        events = sse_events(response)
    assert "sources" not in events[0]
    assert events[-1] == "[DONE]"
