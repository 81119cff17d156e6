"""Cheap per-chunk checks on the stream hot path."""

from gateway.chat.streaming import error_from_payload, is_error_payload, sources_chunk, usage_block


def test_usage_detection_skips_null_usage():
    assert usage_block('{"id":"x","choices":[],"usage":null}') is None
    assert usage_block('{"id":"x","choices":[{"delta":{}}]}') is None
    assert usage_block('{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4}}') == {
        "prompt_tokens": 3,
        "completion_tokens": 4,
    }
    assert usage_block('{"choices": [], "usage": {"prompt_tokens": 1}}') == {"prompt_tokens": 1}


def test_in_stream_errors_are_recognised_and_rewritten():
    assert is_error_payload('{"error":{"message":"x","code":400}}')
    assert is_error_payload('{"object":"error","message":"x"}')
    assert not is_error_payload('{"id":"chatcmpl","choices":[]}')
    error = error_from_payload('{"error":{"message":"bad","type":"BadRequestError","code":400}}')
    assert (error.status, error.message) == (400, "bad")
    assert error_from_payload("{not json").status == 502


def test_sources_chunk_copies_the_upstream_identity():
    chunk = sources_chunk(
        '{"id":"chatcmpl-1","created":5,"model":"m","choices":[]}',
        sources=[{"index": 1}],
        fingerprint="rag-index-v1",
    )
    assert chunk.startswith(b'data: {"id":"chatcmpl-1"')
    assert b'"sources":[{"index":1}]' in chunk and chunk.endswith(b"\n\n")
    assert b'"content":""' in chunk
