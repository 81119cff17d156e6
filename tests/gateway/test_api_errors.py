"""Every client error in OpenAI's shape, never a bare FastAPI 422 or a traceback."""

import http.client
import json

import httpx
import pytest
from conftest import MODEL


def assert_openai_error(response: httpx.Response, status: int, type_: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "param", "code"}
    assert "Traceback" not in response.text and "/work/" not in response.text
    if type_:
        assert body["error"]["type"] == type_
    return body["error"]


@pytest.mark.parametrize(
    ("payload", "param"),
    [
        ({"model": MODEL}, "messages"),
        ({"model": MODEL, "messages": []}, "messages"),
        ({"model": MODEL, "messages": "hello"}, "messages"),
        ({"model": MODEL, "messages": [{"role": "wizard", "content": "x"}]}, "messages[0].role"),
        (
            {"model": MODEL, "messages": [{"role": "user", "content": "x"}], "temperature": "hot"},
            "temperature",
        ),
        ({"model": 5, "messages": [{"role": "user", "content": "x"}]}, "model"),
        ({"messages": [{"role": "user", "content": "x"}]}, "model"),
    ],
)
def test_wrong_types_are_400_with_param(gateway, payload, param, http):
    error = assert_openai_error(
        http.post(gateway.base_url + "/chat/completions", json=payload), 400, "invalid_request_error"
    )
    assert error["param"] == param


def test_malformed_json_is_400(gateway, http):
    response = http.post(
        gateway.base_url + "/chat/completions",
        content=b'{"model": ',
        headers={"content-type": "application/json"},
    )
    assert assert_openai_error(response, 400)["code"] == "invalid_json"


def test_invalid_utf8_is_400(gateway, http):
    response = http.post(
        gateway.base_url + "/chat/completions",
        content=b'{"model": "\xff\xfe"}',
        headers={"content-type": "application/json"},
    )
    assert_openai_error(response, 400, "invalid_request_error")


def test_unknown_model_is_404(gateway, http):
    response = http.post(
        gateway.base_url + "/chat/completions",
        json={"model": "gpt-9", "messages": [{"role": "user", "content": "x"}]},
    )
    assert assert_openai_error(response, 404)["code"] == "model_not_found"


def test_oversized_body_is_413_before_it_is_read(gateway):
    # Declare 10 MB but send only the headers: the answer must come without the body being read.
    host, port = gateway.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    conn.putrequest("POST", "/v1/chat/completions")
    conn.putheader("content-type", "application/json")
    conn.putheader("content-length", str(10 * 1024 * 1024))
    conn.endheaders()
    response = conn.getresponse()
    body = json.loads(response.read())
    conn.close()
    assert response.status == 413
    assert body["error"]["code"] == "request_too_large"


def test_oversized_chunked_body_is_413(gateway, http):
    def chunks():
        for _ in range(40):
            yield b" " * 65536

    response = http.post(
        gateway.base_url + "/chat/completions", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_openai_error(response, 413)


def test_unknown_route_and_method(gateway, http):
    assert_openai_error(http.get(gateway.base_url + "/nope"), 404)
    assert_openai_error(http.get(gateway.base_url + "/chat/completions"), 405)


@pytest.mark.parametrize(
    ("payload", "param"),
    [
        ({"model": MODEL, "messages": [{"role": "user", "content": [{"text": "x"}]}]}, "messages[0].content"),
        (
            {"model": MODEL, "messages": [{"role": "user", "content": [{"type": "text"}]}]},
            "messages[0].content",
        ),
        ({"model": MODEL, "messages": [{"role": "user", "content": "x"}], "top_p": float("nan")}, "top_p"),
        ({"model": MODEL, "messages": [{"role": "user", "content": "x"}], "n": 0}, "n"),
    ],
)
def test_more_malformed_requests(gateway, http, payload, param):
    body = json.dumps(payload)  # NaN goes out as the bare token json.loads accepts
    response = http.post(
        gateway.base_url + "/chat/completions", content=body, headers={"content-type": "application/json"}
    )
    error = assert_openai_error(response, 400)
    assert error["param"].startswith(param)


def test_deeply_nested_filters_are_400(gateway, http):
    leaf = '{"type": "eq", "key": "ticker", "value": "AAPL"}'
    for depth in (5000, 20_000):  # beyond what the JSON decoder nests
        nested = '{"type": "and", "filters": [' * depth + leaf + "]}" * depth
        response = http.post(
            gateway.base_url + "/vector_stores/sec-10k/search",
            content='{"query": "x", "filters": ' + nested + "}",
            headers={"content-type": "application/json"},
        )
        assert_openai_error(response, 400)
