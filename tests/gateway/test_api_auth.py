"""Bearer keys, per-key rate limits, keys never logged, CORS closed unless configured."""

import logging

import httpx
import openai
import pytest
from conftest import MODEL

KEY = "sk-test-very-secret-key-1234"


def chat(base_url: str, key: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.post(
        timeout=30,
        url=base_url + "/chat/completions",
        headers=headers,
        json={"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1},
    )


def test_missing_and_wrong_keys_get_identical_401(make_gateway, upstream, caplog, http):
    caplog.set_level(logging.DEBUG)
    gateway = make_gateway(api_keys=KEY)
    missing, wrong = chat(gateway.base_url, None), chat(gateway.base_url, "sk-wrong")
    assert missing.status_code == wrong.status_code == 401
    assert missing.content == wrong.content
    assert missing.json()["error"]["code"] == "invalid_api_key"
    assert chat(gateway.base_url, KEY).status_code == 200
    with openai.OpenAI(base_url=gateway.base_url, api_key=KEY, max_retries=0) as sdk:
        assert list(sdk.models.list())
    with (
        openai.OpenAI(base_url=gateway.base_url, api_key="bad", max_retries=0) as sdk,
        pytest.raises(openai.AuthenticationError),
    ):
        sdk.models.list()
    assert KEY not in caplog.text and "sk-wrong" not in caplog.text
    assert http.get(gateway.url + "/health").status_code == 200  # probes need no key


def test_rate_limit_is_per_key_with_retry_after(make_gateway, upstream):
    gateway = make_gateway(api_keys=f"{KEY},other-key", rate_limit_per_minute=2)
    assert [chat(gateway.base_url, KEY).status_code for _ in range(2)] == [200, 200]
    limited = chat(gateway.base_url, KEY)
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.json()["error"]["code"] == "rate_limit_exceeded"
    assert chat(gateway.base_url, "other-key").status_code == 200
    with (
        openai.OpenAI(base_url=gateway.base_url, api_key=KEY, max_retries=0) as sdk,
        pytest.raises(openai.RateLimitError),
    ):
        sdk.models.list()


def test_cors_closed_by_default_open_when_configured(make_gateway, gateway, http):
    preflight = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    closed = http.options(gateway.base_url + "/chat/completions", headers=preflight)
    assert "access-control-allow-origin" not in closed.headers
    simple = http.get(gateway.url + "/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in simple.headers
    opened = make_gateway(cors_origins="https://app.example")
    allowed = http.options(
        opened.base_url + "/chat/completions", headers={**preflight, "Origin": "https://app.example"}
    )
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    denied = http.options(opened.base_url + "/chat/completions", headers=preflight)
    assert "access-control-allow-origin" not in denied.headers
