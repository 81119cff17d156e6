"""Upstream failures: retries before the first byte, error frames after it, timeouts, disconnects, down."""

import json
import time

import boto3
import httpx
import openai
import pytest
from botocore.stub import ANY, Stubber
from conftest import MODEL
from support.polling import wait_until

MESSAGES = [{"role": "user", "content": "What are NVIDIA's main risk factors?"}]


def stream_events(base_url: str, body: dict, timeout: float = 30) -> tuple[int, list[str]]:
    with httpx.stream("POST", base_url + "/chat/completions", json=body, timeout=timeout) as response:
        if response.status_code != 200:
            response.read()
            return response.status_code, [response.text]
        return 200, [line[6:] for line in response.iter_lines() if line.startswith("data: ")]


@pytest.mark.parametrize("status", [500, 502, 503])
def test_two_failures_then_success_is_one_clean_answer(client, upstream, status):
    upstream.control.set_faults(fail_next=2, fail_status=status)
    completion = client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=3)
    assert completion.choices[0].message.content == "t0 t1 t2"
    assert upstream.control.stats()["attempts"] == 3


def test_stream_retries_before_the_first_byte(client, upstream):
    upstream.control.set_faults(fail_next=2, fail_status=502)
    chunks = list(client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=3, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "t0 t1 t2"
    assert upstream.control.stats()["attempts"] == 3


def test_429_retry_after_is_honoured(client, upstream):
    upstream.control.set_faults(fail_next=1, fail_status=429, retry_after=1)
    started = time.monotonic()
    client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=1)
    assert time.monotonic() - started >= 0.95
    assert upstream.control.stats()["attempts"] == 2


def test_4xx_is_never_retried_and_rewritten(client, upstream):
    upstream.control.set_faults(fail_next=1, fail_status=400, fail_message="bad request from vLLM")
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=1)
    assert caught.value.body["message"] == "bad request from vLLM"
    assert caught.value.body["type"] == "invalid_request_error"
    assert upstream.control.stats()["attempts"] == 1


def test_exhausted_retries_give_502_in_openai_shape(client, upstream):
    upstream.control.set_faults(fail_next=10, fail_status=500)
    with pytest.raises(openai.InternalServerError) as caught:
        client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=1)
    assert caught.value.status_code == 502
    assert caught.value.body["code"] == "bad_gateway"
    assert upstream.control.stats()["attempts"] == 4  # 1 + RAG_RETRIES=3


def test_mid_stream_drop_ends_with_error_frame_and_done(gateway, upstream):
    upstream.control.set_faults(drop_after_tokens=3, drop_count=1)
    status, events = stream_events(
        gateway.base_url, {"model": MODEL, "messages": MESSAGES, "max_tokens": 10, "stream": True}
    )
    assert status == 200
    assert events[-1] == "[DONE]"
    error = json.loads(events[-2])["error"]
    assert error["code"] == "upstream_stream_interrupted" and set(error) == {
        "message",
        "type",
        "param",
        "code",
    }
    content = [json.loads(e) for e in events[:-2]]
    assert "sources" in content[0]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in content if c["choices"])
    assert text == "t0 t1 t2"  # the tokens sent, none replayed
    assert upstream.control.stats()["attempts"] == 1
    status, events = stream_events(
        gateway.base_url, {"model": MODEL, "messages": MESSAGES, "max_tokens": 2, "stream": True}
    )
    assert status == 200 and events[-1] == "[DONE]" and "error" not in events[-2]


def test_stream_dropped_before_any_output_is_retried(client, upstream):
    upstream.control.set_faults(drop_after_tokens=0, drop_count=1)
    chunks = list(client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=3, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "t0 t1 t2"
    assert upstream.control.stats()["attempts"] == 2


def test_stream_that_never_starts_is_a_502_status(gateway, upstream, http):
    upstream.control.set_faults(drop_after_tokens=0, drop_count=None)
    response = http.post(
        gateway.base_url + "/chat/completions", json={"model": MODEL, "messages": MESSAGES, "stream": True}
    )
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]["code"] == "bad_gateway"
    assert upstream.control.stats()["attempts"] == 4


def test_sdk_raises_on_the_mid_stream_error(client, upstream):
    upstream.control.set_faults(drop_after_tokens=2, drop_count=1)
    received = []
    with pytest.raises(openai.APIError):
        for chunk in client.chat.completions.create(
            model=MODEL, messages=MESSAGES, max_tokens=10, stream=True
        ):
            received.extend(c.delta.content or "" for c in chunk.choices)
    assert "".join(received) == "t0 t1"


def test_client_disconnect_closes_the_upstream_stream(gateway, upstream, http):
    upstream.control.set_timing(itl_ms=50)
    body = {"model": MODEL, "messages": MESSAGES, "max_tokens": 200, "stream": True}
    with http.stream("POST", gateway.base_url + "/chat/completions", json=body, timeout=10) as response:
        for count, line in enumerate(response.iter_lines()):
            if " t1" in line or count > 20:
                break
        assert " t1" in line
    closed_at = time.monotonic()
    rest_of_stream_s = (200 - 2) * 0.05  # what the upstream would still stream if nobody closed it
    disconnects = wait_until(lambda: upstream.control.stats()["disconnects"], what="a close upstream")
    assert disconnects[0]["phase"] == "streaming"
    assert time.monotonic() - closed_at < rest_of_stream_s
    assert disconnects[0]["tokens_sent"] < 200
    assert upstream.control.stats()["completed"] == 0


def test_client_disconnect_before_first_token_cancels_upstream(gateway, upstream):
    upstream.control.set_faults(first_token_delay_s=3)
    body = {"model": MODEL, "messages": MESSAGES, "max_tokens": 5, "stream": True}
    with pytest.raises(httpx.ReadTimeout):
        stream_events(gateway.base_url, body, timeout=0.5)
    disconnects = wait_until(lambda: upstream.control.stats()["disconnects"], what="a close upstream")
    # Closed while the upstream still held its first token, i.e. not left to run to the end.
    assert disconnects[0]["phase"] == "before_first_token"
    assert upstream.control.stats()["completed"] == 0


def test_first_token_timeout_is_504_and_closes_upstream(make_gateway, upstream):
    gateway = make_gateway(ttft_timeout=0.5)
    slow_first_token_s = 30  # the slow path: waiting for the upstream's first token
    upstream.control.set_faults(first_token_delay_s=slow_first_token_s)
    started = time.monotonic()
    status, body = stream_events(gateway.base_url, {"model": MODEL, "messages": MESSAGES, "stream": True})
    assert status == 504 and time.monotonic() - started < slow_first_token_s
    assert json.loads(body[0])["error"]["code"] == "upstream_timeout"
    disconnects = wait_until(lambda: upstream.control.stats()["disconnects"], what="a close upstream")
    # Closed while the upstream still held its first token, not left to stream once it came.
    assert disconnects[0]["phase"] == "before_first_token"
    assert upstream.control.stats()["completed"] == 0


def test_upstream_down_is_a_quick_503_with_retry_after(make_gateway, http):
    # A refused connection is answered at once: long before the connect timeout (the slow path) would end.
    connect_timeout_s = 20.0
    gateway = make_gateway(
        default_upstream="http://127.0.0.1:9/v1", unavailable_retry_after=7, connect_timeout=connect_timeout_s
    )
    for stream in (False, True):
        started = time.monotonic()
        response = http.post(
            gateway.base_url + "/chat/completions",
            json={"model": MODEL, "messages": MESSAGES, "stream": stream},
        )
        assert time.monotonic() - started < connect_timeout_s
        assert response.status_code == 503
        assert response.headers["retry-after"] == "7"
        assert response.json()["error"]["code"] == "upstream_unavailable"
    assert http.get(gateway.url + "/ready").status_code == 503
    assert http.get(gateway.url + "/health").status_code == 200
    with (
        openai.OpenAI(base_url=gateway.base_url, api_key="x", max_retries=0) as sdk,
        pytest.raises(openai.APIStatusError) as caught,
    ):
        sdk.models.list()
    assert caught.value.status_code == 503


@pytest.mark.parametrize("http_client", ["aiohttp", "httpx"])
def test_mapped_upstream_down_retries_then_503(make_gateway, upstream, http, http_client):
    # The two transports report a refused connection differently (aiohttp's looks like a timeout).
    connect_timeout_s = 20.0  # the slow path: one attempt waiting for its connect timeout
    gateway = make_gateway(
        default_upstream=None,
        upstreams={MODEL: "http://127.0.0.1:9/v1"},
        upstream_http_client=http_client,
        connect_timeout=connect_timeout_s,
    )
    started = time.monotonic()
    response = http.post(
        gateway.base_url + "/chat/completions", json={"model": MODEL, "messages": MESSAGES, "max_tokens": 1}
    )
    assert response.status_code == 503 and "retry-after" in response.headers
    assert time.monotonic() - started < connect_timeout_s  # 4 attempts, none waited for the timeout
    metrics = http.get(gateway.url + "/metrics").text
    assert 'rag_gateway_upstream_retries_total{model="synthetic-model"} 3.0' in metrics
    assert 'kind="connect"' in metrics


def test_upstream_loading_gives_503_with_retry_after(client, upstream):
    upstream.control.set_faults(loading=True)
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=1)
    assert caught.value.status_code == 503
    assert caught.value.response.headers["retry-after"]


def test_warmup_lambda_fires_once_per_cooldown_while_upstream_is_down(make_gateway, http):
    lambda_client = boto3.client(
        "lambda", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )
    stubber = Stubber(lambda_client)
    stubber.add_response(
        "invoke",
        {"StatusCode": 202},
        {"FunctionName": "warm-vllm", "InvocationType": "Event", "Payload": ANY},
    )
    with stubber:
        gateway = make_gateway(
            default_upstream="http://127.0.0.1:9/v1",
            warmup_lambda_name="warm-vllm",
            warmup_cooldown=60,
            lambda_client=lambda_client,
        )
        for _ in range(3):
            response = http.post(
                gateway.base_url + "/chat/completions", json={"model": MODEL, "messages": MESSAGES}
            )
            assert response.status_code == 503
        # The invoke runs in a worker thread.
        wait_until(lambda: not stubber._queue, what="the warm-up Lambda invoke")
        stubber.assert_no_pending_responses()
    assert gateway.app.state.gateway.warmup.fired == 1
