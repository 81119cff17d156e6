"""Cheap per-block checks on the stream hot path, and byte-level SSE framing."""

import asyncio

from gateway.chat.streaming import error_from_payload, is_error_payload, sources_chunk, usage_block
from gateway.http.sse_frames import event_data, last_boundary, read_head, split_events
from gateway.upstream.caller import carries_output


def test_usage_detection_skips_null_usage():
    assert usage_block(b'{"id":"x","choices":[],"usage":null}') is None
    assert usage_block(b'{"id":"x","choices":[{"delta":{}}]}') is None
    assert usage_block(b'{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4}}') == {
        "prompt_tokens": 3,
        "completion_tokens": 4,
    }
    assert usage_block(b'{"choices": [], "usage": {"prompt_tokens": 1}}') == {"prompt_tokens": 1}


def test_in_stream_errors_are_recognised_and_rewritten():
    assert is_error_payload(b'{"error":{"message":"x","code":400}}')
    assert is_error_payload(b'{"object": "error", "message": "x"}')
    assert not is_error_payload(b'{"id":"chatcmpl","choices":[{"delta":{"content":"error"}}]}')
    error = error_from_payload(b'{"error":{"message":"bad","type":"BadRequestError","code":400}}')
    assert (error.status, error.message) == (400, "bad")
    assert error_from_payload(b"{not json").status == 502


def test_sources_chunk_copies_the_upstream_identity():
    chunk = sources_chunk(
        b'{"id":"chatcmpl-1","created":5,"model":"m","choices":[]}',
        sources=[{"index": 1}],
        fingerprint="rag-index-v1",
    )
    assert chunk.startswith(b'data: {"id":"chatcmpl-1"')
    assert b'"sources":[{"index":1}]' in chunk and chunk.endswith(b"\n\n")
    assert b'"content":""' in chunk


def test_framing_handles_lf_crlf_and_partial_events():
    assert last_boundary(b"data: a\n\ndata: b\n\ndata: c") == len(b"data: a\n\ndata: b\n\n")
    assert last_boundary(b"data: a\r\n\r\ndata: b") == len(b"data: a\r\n\r\n")
    assert last_boundary(b"data: partial") == -1
    assert split_events(b"data: a\n\n: comment\n\ndata: b\r\n\r\n") == [b"data: a", b": comment", b"data: b"]
    assert event_data(b": comment") is None
    assert event_data(b"event: x\ndata: 1\ndata: 2") == b"1\n2"


def test_stream_head_survives_arbitrary_chunking_and_waits_for_output():
    role = b'{"id":"x","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}'
    token = b'{"id":"x","choices":[{"index":0,"delta":{"content":"t0"}}]}'

    async def chunks():
        for piece in (
            b": ping\n\nda",
            b"ta: " + role[:10],
            role[10:] + b"\n\ndata: ",
            token + b"\n\ndata: [DO",
            b"NE]\n\n",
        ):
            yield piece

    head = asyncio.run(read_head(chunks(), carries_output))
    assert head is not None
    assert head.events == [role, token]
    assert head.rest == b"data: [DO"


def test_what_counts_as_output():
    assert not carries_output(b'{"choices":[{"delta":{"role":"assistant","content":""}}]}')
    assert carries_output(b'{"choices":[{"delta":{"content":"t0"}}]}')
    assert carries_output(b'{"choices":[{"delta":{"tool_calls":[{"index":0}]}}]}')
    assert carries_output(b'{"choices":[{"delta":{},"finish_reason":"stop"}]}')
    assert carries_output(b'{"choices":[],"usage":{"prompt_tokens":1}}')
    assert carries_output(b'{"error":{"message":"x"}}')
    assert carries_output(b"[DONE]") and carries_output(b"not json")
