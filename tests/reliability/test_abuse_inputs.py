"""Hand-written hostile and malformed requests against a real gateway process: every one is a clear 4xx in
OpenAI's shape, and nothing that should be refused reaches the upstream."""

from __future__ import annotations

import json
import select
import socket
import time

import httpx
import pytest

from reliability.openai_shape import assert_openai_error
from reliability.sse_client import MODEL

USER = [{"role": "user", "content": "What was Acme's revenue?"}]
MAX_BODY_BYTES = 1_048_576  # the gateway's default RAG_MAX_BODY_BYTES
UPSTREAM_MAX_MODEL_LEN = 4096  # the session upstream's /v1/models max_model_len


@pytest.fixture
def http(gateway):
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        yield client


def post_raw(http: httpx.Client, content: bytes, path: str = "/v1/chat/completions") -> httpx.Response:
    return http.post(path, content=content, headers={"content-type": "application/json"})


def refused(
    response: httpx.Response, status: int, upstream, *, param: str | None = "", code: str | None = None
):
    """Assert a clean refusal that never reached the upstream; returns the error object."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = assert_openai_error(response.json(), code=code)
    if param != "":
        assert error["param"] == param, error
    assert upstream.control.stats()["attempts"] == 0, "a refused request reached the upstream"
    return error


@pytest.mark.parametrize(
    "content",
    [
        b'{"model": "synthetic-model", "messages": [',
        b"not json at all",
        b"",
        b"[]",
        b'"just a string"',
        b"null",
    ],
    ids=["truncated", "text", "empty", "array", "string", "null"],
)
def test_malformed_json(http, upstream, content):
    refused(post_raw(http, content), 400, upstream)


def test_invalid_utf8(http, upstream):
    body = b'{"model": "synthetic-model", "messages": [{"role": "user", "content": "\xff\xfe\xc3\x28"}]}'
    refused(post_raw(http, body), 400, upstream)


@pytest.mark.parametrize(
    ("payload", "param"),
    [
        ({"model": MODEL, "messages": "hello"}, "messages"),
        ({"model": MODEL, "messages": [["user", "hi"]]}, "messages[0]"),
        ({"model": MODEL, "messages": [{"role": "wizard", "content": "x"}]}, "messages[0].role"),
        ({"model": 7, "messages": USER}, "model"),
        ({"model": MODEL, "messages": USER, "temperature": "hot"}, "temperature"),
        ({"model": MODEL, "messages": USER, "temperature": 9.5}, "temperature"),
        ({"model": MODEL, "messages": USER, "max_tokens": "many"}, "max_tokens"),
        ({"model": MODEL, "messages": USER, "max_tokens": -1}, "max_tokens"),
        ({"model": MODEL, "messages": USER, "stream": {"on": True}}, "stream"),
    ],
)
def test_wrong_types_name_the_field(http, upstream, payload, param):
    refused(http.post("/v1/chat/completions", json=payload), 400, upstream, param=param)


@pytest.mark.parametrize(
    "payload",
    [{"model": MODEL}, {"model": MODEL, "messages": None}, {"model": MODEL, "messages": []}],
    ids=["missing", "null", "empty"],
)
def test_missing_or_empty_messages(http, upstream, payload):
    refused(http.post("/v1/chat/completions", json=payload), 400, upstream, param="messages")


def _read_response(sock: socket.socket, timeout_s: float) -> tuple[bytes, dict]:
    """Status line and JSON body of the answer, which must come while the request body is unfinished."""
    deadline = time.monotonic() + timeout_s
    data = b""
    while True:
        ready, _, _ = select.select([sock], [], [], max(deadline - time.monotonic(), 0))
        assert ready, f"no full answer within {timeout_s} s: the gateway is waiting for the whole body"
        chunk = sock.recv(65536)
        data += chunk
        head, sep, body = data.partition(b"\r\n\r\n")
        if sep:
            lengths = [line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")]
            if lengths and len(body) >= int(lengths[0].split(b":")[1]):
                return head.split(b"\r\n")[0], json.loads(body)
        assert chunk, f"connection closed mid-answer: {data[:300]!r}"


def test_10_mb_body_is_413_before_it_is_read(gateway, upstream):
    # Only the headers and 64 KB are sent: a server that read the declared 10 MB first would never answer.
    head = (
        "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {10 * 1024 * 1024}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=10) as sock:
        sock.sendall(head + b'{"model": "' + b"x" * 65536)
        status_line, body = _read_response(sock, 5.0)
    assert status_line.startswith(b"HTTP/1.1 413"), status_line
    assert_openai_error(body, code="request_too_large")
    assert upstream.control.stats()["attempts"] == 0


def test_chunked_body_over_the_limit_is_413_while_streaming(gateway, upstream):
    # No Content-Length: the limit is enforced while reading; the body is never finished by the client.
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=10) as sock:
        sock.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        piece = b"x" * 65536
        sent = 0
        while sent <= MAX_BODY_BYTES + len(piece):
            sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
            sent += len(piece)
        status_line, body = _read_response(sock, 5.0)
    assert status_line.startswith(b"HTTP/1.1 413"), status_line
    assert_openai_error(body, code="request_too_large")
    assert upstream.control.stats()["attempts"] == 0


def test_body_just_under_the_limit_is_read(http, upstream):
    filler = "x" * (MAX_BODY_BYTES - 2048)
    payload = {"model": MODEL, "messages": USER, "user": filler, "rag": {"enabled": False}, "max_tokens": 2}
    response = http.post("/v1/chat/completions", json=payload)
    assert response.status_code == 200, response.text[:500]


@pytest.mark.parametrize("field", ["max_tokens", "max_completion_tokens"])
@pytest.mark.parametrize("value", [UPSTREAM_MAX_MODEL_LEN, 10**9, 2**63 - 1])
def test_huge_max_tokens_is_400_context_length_exceeded(http, upstream, field, value):
    # Documented rule: >= the model's max_model_len is a 400 naming the field; nothing is sent upstream.
    payload = {"model": MODEL, "messages": USER, field: value}
    refused(
        http.post("/v1/chat/completions", json=payload),
        400,
        upstream,
        param=field,
        code="context_length_exceeded",
    )


def test_max_tokens_below_the_window_passes_through(http, upstream):
    response = http.post("/v1/chat/completions", json={"model": MODEL, "messages": USER, "max_tokens": 3})
    assert response.status_code == 200, response.text
    assert upstream.control.last_request()["max_tokens"] == 3


def test_n_above_the_cap_is_400(http, upstream):
    payload = {"model": MODEL, "messages": USER, "n": 17}
    refused(http.post("/v1/chat/completions", json=payload), 400, upstream, param="n")


def test_n_2_is_passed_through_and_the_upstream_refusal_comes_back_in_our_shape(http, upstream):
    # Documented rule: n is passed through; the synthetic upstream (unlike vLLM) refuses n > 1 with a 400.
    response = http.post("/v1/chat/completions", json={"model": MODEL, "messages": USER, "n": 2})
    assert response.status_code == 400, response.text
    assert_openai_error(response.json())
    assert upstream.control.stats()["attempts"] == 1, "a 4xx from the upstream must not be retried"
    assert upstream.control.last_request()["n"] == 2


def test_unmodelled_parameters_are_passed_through_unchanged(http, upstream):
    extras = {"top_k": 7, "repetition_penalty": 1.1, "min_p": 0.05, "seed": 3}
    response = http.post(
        "/v1/chat/completions", json={"model": MODEL, "messages": USER, "max_tokens": 2, **extras}
    )
    assert response.status_code == 200, response.text
    sent = upstream.control.last_request()
    assert {key: sent.get(key) for key in extras} == extras
    assert "rag" not in sent


def test_unknown_model_is_404(http, upstream):
    response = http.post("/v1/chat/completions", json={"model": "gpt-17-ultra", "messages": USER})
    error = refused(response, 404, upstream, param="model", code="model_not_found")
    assert "gpt-17-ultra" in error["message"]


@pytest.mark.parametrize(
    ("rag", "param"),
    [
        ("yes", "rag"),
        ([], "rag"),
        ({"enabled": "sometimes"}, "rag.enabled"),
        ({"max_num_results": 0}, "rag.max_num_results"),
        ({"max_num_results": 10_000}, "rag.max_num_results"),
        ({"score_threshold": "high"}, "rag.score_threshold"),
        ({"vector_store_ids": "sec-10k"}, "rag.vector_store_ids"),
        ({"vector_store_ids": []}, "rag.vector_store_ids"),
        ({"filters": "ticker=ACME"}, "rag.filters"),
        ({"unknown_option": 1}, "rag.unknown_option"),
    ],
)
def test_malformed_rag_block_names_the_field(http, upstream, rag, param):
    payload = {"model": MODEL, "messages": USER, "rag": rag}
    refused(http.post("/v1/chat/completions", json=payload), 400, upstream, param=param)


def test_unknown_vector_store_in_the_rag_block_is_404(http, upstream):
    payload = {"model": MODEL, "messages": USER, "rag": {"vector_store_ids": ["other-store"]}}
    refused(http.post("/v1/chat/completions", json=payload), 404, upstream, code="vector_store_not_found")


BAD_FILTERS = [
    ({"type": "eq", "key": "colour", "value": "red"}, "filters.key"),
    ({"type": "like", "key": "ticker", "value": "AC%"}, "filters.type"),
    ({"key": "ticker", "value": "ACME"}, "filters.type"),
    ({"type": "eq", "value": "ACME"}, "filters.key"),
    ({"type": "in", "key": "ticker", "value": "ACME"}, "filters.value"),
    ({"type": "and", "filters": "nope"}, "filters.filters"),
    (
        {
            "type": "and",
            "filters": [{"type": "eq", "key": "ticker", "value": "ACME"}, {"type": "eq", "key": "x"}],
        },
        "filters.filters[1].key",
    ),
    (
        {"type": "or", "filters": [{"type": "gte", "key": "fiscal_year", "value": 2023}, {"type": "regex"}]},
        "filters.filters[1].type",
    ),
]


@pytest.mark.parametrize(("filters", "param"), BAD_FILTERS)
def test_bad_chat_filters_are_400_naming_the_field(http, upstream, filters, param):
    payload = {"model": MODEL, "messages": USER, "rag": {"filters": filters}}
    refused(http.post("/v1/chat/completions", json=payload), 400, upstream, param=f"rag.{param}")


@pytest.mark.parametrize(("filters", "param"), BAD_FILTERS)
def test_bad_search_filters_are_400_naming_the_field(http, upstream, filters, param):
    response = http.post("/v1/vector_stores/sec-10k/search", json={"query": "revenue", "filters": filters})
    refused(response, 400, upstream, param=param)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/v1/chat/completions", 405), ("POST", "/v1/nothing-here", 404), ("DELETE", "/v1/models", 405)],
)
def test_unknown_routes_and_methods_in_openai_shape(http, upstream, method, path, status):
    refused(http.request(method, path), status, upstream)


def test_a_burst_of_garbage_leaves_the_gateway_healthy(http, upstream):
    started = time.monotonic()
    for size in range(0, 4000, 97):
        post_raw(http, bytes((i * 37 + size) % 256 for i in range(size)))
    assert time.monotonic() - started < 60
    assert http.get("/health").status_code == 200
    ok = http.post("/v1/chat/completions", json={"model": MODEL, "messages": USER, "max_tokens": 2})
    assert ok.status_code == 200, ok.text
