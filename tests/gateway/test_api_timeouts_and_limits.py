"""Documented behaviour: the non-streaming total timeout and the per-client-IP rate limit without keys."""

import time

import httpx
from support.inprocess import MODEL

MESSAGES = [{"role": "user", "content": "revenue"}]


def chat(base_url: str, *, stream: bool, timeout: float = 60, **extra) -> httpx.Response:
    body = {"model": MODEL, "messages": MESSAGES, "max_tokens": 2, "stream": stream, **extra}
    return httpx.post(base_url + "/chat/completions", json=body, timeout=timeout)


def test_non_streaming_total_timeout_is_504(make_gateway, upstream):
    slow_answer_s = 30.0  # the slow path: waiting for the upstream's whole answer
    gateway = make_gateway(total_timeout=1.0, ttft_timeout=60, retries=0)
    upstream.control.set_faults(first_token_delay_s=slow_answer_s)
    started = time.monotonic()
    response = chat(gateway.base_url, stream=False)
    assert response.status_code == 504, response.text
    assert response.json()["error"]["code"] == "upstream_timeout"
    assert time.monotonic() - started < slow_answer_s


def test_non_streaming_requests_ignore_the_first_token_timeout(make_gateway, upstream):
    gateway = make_gateway(ttft_timeout=0.3, total_timeout=60, retries=0)
    upstream.control.set_faults(first_token_delay_s=1.5, delay_count=2)  # 5x the first-token timeout
    answered = chat(gateway.base_url, stream=False)
    assert answered.status_code == 200, answered.text
    assert answered.json()["choices"][0]["message"]["content"]
    # The same delay on a stream is a first-token timeout: the setting is live, only not for non-streaming.
    streamed = chat(gateway.base_url, stream=True)
    assert streamed.status_code == 504 or '"upstream_timeout"' in streamed.text, streamed.text


def test_rate_limit_without_keys_is_per_client_ip(make_gateway, upstream):
    gateway = make_gateway(rate_limit_per_minute=2)

    def models(source_ip: str) -> httpx.Response:
        transport = httpx.HTTPTransport(local_address=source_ip)
        with httpx.Client(transport=transport, timeout=30) as http:
            return http.get(gateway.base_url + "/models")

    assert [models("127.0.0.1").status_code for _ in range(2)] == [200, 200]
    limited = models("127.0.0.1")
    assert limited.status_code == 429, limited.text
    assert int(limited.headers["retry-after"]) >= 1
    # Another client address has its own bucket, untouched by the first one's requests.
    assert [models("127.0.0.2").status_code for _ in range(2)] == [200, 200]
    assert models("127.0.0.2").status_code == 429
