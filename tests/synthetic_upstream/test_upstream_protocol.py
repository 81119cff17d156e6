"""OpenAI wire format, checked with the official SDK against a real uvicorn process."""

import asyncio

import httpx
import openai
import pytest
from openai import AsyncOpenAI
from synthetic_upstream import check_token_sequence, expected_text
from synthetic_upstream.testing import RunningUpstream

MODEL = "synthetic-test-model"
MESSAGES = [{"role": "user", "content": "What was Apple's revenue in 2023?"}]


async def test_models_report_max_model_len(client: AsyncOpenAI) -> None:
    models = await client.models.list()
    assert [m.id for m in models.data] == [MODEL]
    assert models.data[0].model_extra["max_model_len"] == 4096


async def test_stream_emits_checkable_sequence_with_usage(client: AsyncOpenAI) -> None:
    stream = await client.chat.completions.create(
        model=MODEL, messages=MESSAGES, stream=True, max_tokens=12, stream_options={"include_usage": True}
    )
    chunks = [chunk async for chunk in stream]
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert check_token_sequence(text, expected_tokens=12) == []
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "length"
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 12
    assert chunks[-1].usage.prompt_tokens == 6
    assert all(c.usage is None for c in chunks[:-1])
    assert len({c.id for c in chunks}) == 1


async def test_stream_without_usage_has_no_usage_chunk(client: AsyncOpenAI) -> None:
    stream = await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True, max_tokens=3)
    chunks = [chunk async for chunk in stream]
    assert all(c.choices for c in chunks)
    assert all(c.usage is None for c in chunks)


async def test_non_stream_completion(client: AsyncOpenAI) -> None:
    completion = await client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=5)
    assert completion.choices[0].message.content == expected_text(5)
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage is not None
    assert completion.usage.total_tokens == 6 + 5


async def test_default_output_length_stops(client: AsyncOpenAI) -> None:
    completion = await client.chat.completions.create(model=MODEL, messages=MESSAGES)
    assert completion.choices[0].message.content == expected_text(8)
    assert completion.choices[0].finish_reason == "stop"


async def test_unknown_model_is_404_in_openai_shape(client: AsyncOpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        await client.chat.completions.create(model="nope", messages=MESSAGES)
    assert caught.value.body == {
        "message": "The model `nope` does not exist.",
        "type": "NotFoundError",
        "param": "model",
        "code": 404,
    }


async def test_bad_requests_are_400(upstream: RunningUpstream) -> None:
    async with httpx.AsyncClient(base_url=upstream.base_url) as http:
        broken = await http.post("/chat/completions", content=b"{not json")
        empty = await http.post("/chat/completions", json={"model": MODEL, "messages": []})
    assert broken.status_code == 400
    assert set(broken.json()["error"]) == {"message", "type", "param", "code"}
    assert empty.status_code == 400
    assert empty.json()["error"]["param"] == "messages"
    assert upstream.control.stats()["rejected"] == 2


async def test_request_bodies_are_recorded(client: AsyncOpenAI, upstream: RunningUpstream) -> None:
    await client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=1, extra_body={"seed": 7})
    body = upstream.control.last_request()
    assert body["messages"] == MESSAGES
    assert body["seed"] == 7


async def test_many_concurrent_streams_stay_clean(client: AsyncOpenAI, upstream: RunningUpstream) -> None:
    async def one() -> str:
        stream = await client.chat.completions.create(
            model=MODEL, messages=MESSAGES, stream=True, max_tokens=20
        )
        return "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])

    texts = await asyncio.gather(*(one() for _ in range(64)))
    assert all(check_token_sequence(t, 20) == [] for t in texts)
    stats = upstream.control.stats()
    assert stats["completed"] == 64
    assert stats["active"] == 0


async def test_health_and_metrics(upstream: RunningUpstream) -> None:
    async with httpx.AsyncClient(base_url=upstream.root_url) as http:
        health = await http.get("/health")
        metrics = await http.get("/metrics")
    assert health.status_code == 200
    assert f'vllm:num_requests_running{{model_name="{MODEL}"}} 0' in metrics.text
