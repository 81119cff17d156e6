"""Streamed Responses through the official SDK: OpenAI's event sequence, retries, a mid-stream drop."""

import json

import httpx
import openai
import pytest
from conftest import MODEL

QUESTION = "What does NVIDIA say about data center revenue?"
FILE_SEARCH = {"type": "file_search", "vector_store_ids": ["sec-10k"]}
CITED = "Revenue rose [1] and margins held [2]."

OPENING_WITH_SEARCH = [
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.file_search_call.in_progress",
    "response.file_search_call.searching",
    "response.file_search_call.completed",
    "response.output_item.done",
    "response.output_item.added",
    "response.content_part.added",
]
CLOSING = [
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
    "response.completed",
]


def test_event_order_with_file_search(client, upstream):
    upstream.control.set_reply(CITED, count=1)
    events = list(
        client.responses.create(
            model=MODEL,
            input=QUESTION,
            tools=[FILE_SEARCH],
            include=["file_search_call.results"],
            stream=True,
        )
    )
    kinds = [e.type for e in events]
    deltas = [k for k in kinds if k == "response.output_text.delta"]
    annotations = [k for k in kinds if k == "response.output_text.annotation.added"]
    assert kinds == OPENING_WITH_SEARCH + deltas + annotations + CLOSING
    assert len(deltas) > 3 and len(annotations) == 2
    assert [e.sequence_number for e in events] == list(range(len(events)))
    search_done = events[6]
    assert search_done.item.type == "file_search_call" and search_done.item.results
    assert events[7].output_index == 1 and events[7].item.type == "message"
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == CITED
    completed = events[-1].response
    assert completed.status == "completed" and completed.output_text == CITED
    assert completed.output[1].content[0].annotations[0].type == "file_citation"
    assert completed.usage.output_tokens > 0
    assert len({e.response.id for e in events if hasattr(e, "response")}) == 1


def test_stream_without_tools_has_only_the_message(client, upstream):
    upstream.control.set_reply("Hello there.", count=1)
    events = list(client.responses.create(model=MODEL, input="hi", stream=True, max_output_tokens=20))
    kinds = [e.type for e in events]
    deltas = [k for k in kinds if k == "response.output_text.delta"]
    opening = [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert kinds == opening + deltas + CLOSING
    assert events[2].output_index == 0
    assert "Sources" not in json.dumps(upstream.control.last_request()["messages"])


def test_stream_helper_gives_the_final_response(client, upstream):
    upstream.control.set_reply(CITED, count=1)
    with client.responses.stream(model=MODEL, input=QUESTION, tools=[FILE_SEARCH]) as stream:
        text = "".join(e.delta for e in stream if e.type == "response.output_text.delta")
        final = stream.get_final_response()
    assert text == CITED and final.output_text == CITED
    assert client.responses.retrieve(final.id).output_text == CITED  # stored once streamed


async def test_async_stream(gateway, upstream):
    upstream.control.set_reply(CITED, count=1)
    async with openai.AsyncOpenAI(base_url=gateway.base_url, api_key="x", max_retries=0) as sdk:
        stream = await sdk.responses.create(model=MODEL, input=QUESTION, tools=[FILE_SEARCH], stream=True)
        events = [event async for event in stream]
    assert events[-1].type == "response.completed"
    assert events[-1].response.output_text == CITED


def test_retried_before_the_first_byte(client, upstream):
    upstream.control.set_faults(fail_next=2, fail_status=503)
    upstream.control.set_reply(CITED)
    events = list(client.responses.create(model=MODEL, input=QUESTION, tools=[FILE_SEARCH], stream=True))
    assert events[-1].type == "response.completed"
    assert upstream.control.stats()["attempts"] == 3


def test_upstream_down_before_the_first_byte_keeps_a_real_status(client, upstream):
    upstream.control.set_faults(fail_next=10, fail_status=503)
    with pytest.raises(openai.APIStatusError) as caught:
        list(client.responses.create(model=MODEL, input=QUESTION, stream=True))
    assert caught.value.status_code == 503
    assert caught.value.body["code"] == "upstream_unavailable"


def test_mid_stream_drop_ends_with_response_failed(client, upstream):
    upstream.control.set_faults(drop_after_tokens=3, drop_count=1)
    events = list(client.responses.create(model=MODEL, input=QUESTION, tools=[FILE_SEARCH], stream=True))
    last = events[-1]
    assert last.type == "response.failed"
    assert last.response.status == "failed"
    assert (
        last.response.error.code == "server_error" and "middle of the stream" in last.response.error.message
    )
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == "t0 t1 t2"  # what was sent, nothing replayed
    assert "response.completed" not in [e.type for e in events]
    assert upstream.control.stats()["attempts"] == 1
    with pytest.raises(openai.NotFoundError):  # a failed response is not kept
        client.responses.retrieve(last.response.id)


def test_sse_wire_format_names_each_event(gateway, upstream):
    body = {"model": MODEL, "input": "hi", "stream": True, "max_output_tokens": 5}
    with httpx.stream("POST", gateway.base_url + "/responses", json=body, timeout=30) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        assert "prepare;dur=" in response.headers["server-timing"]
        lines = [line for line in response.iter_lines() if line]
    names = [line[7:] for line in lines if line.startswith("event: ")]
    payloads = [json.loads(line[6:]) for line in lines if line.startswith("data: ")]
    assert names == [p["type"] for p in payloads]
    assert names[-1] == "response.incomplete"  # max_output_tokens reached
    assert payloads[-1]["response"]["incomplete_details"] == {"reason": "max_output_tokens"}
