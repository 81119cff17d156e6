"""Auth, secrets in logs, rate limits and CORS on real gateway processes."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest

from reliability.gateway_process import GatewayProcess, start_gateway, wait_healthy
from reliability.openai_shape import assert_openai_error
from reliability.sse_client import MODEL, chat_body, stream_chat

# Fresh random keys per run: finding one in the logs can only mean the gateway wrote it there.
GOOD_KEY = "sk-good-" + secrets.token_hex(16)
SECOND_KEY = "sk-second-" + secrets.token_hex(16)
WRONG_KEY = "sk-wrong-" + secrets.token_hex(16)
UPSTREAM_KEY = "sk-upstream-" + secrets.token_hex(16)
ALLOWED_ORIGIN = "https://analyst.example.com"
RATE_PER_MINUTE = 3
PROTECTED = [
    ("GET", "/v1/models", None),
    ("POST", "/v1/chat/completions", {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}),
    ("POST", "/v1/vector_stores/sec-10k/search", {"query": "revenue"}),
    ("GET", "/v1/vector_stores", None),
    ("POST", "/v1/embeddings", {"model": "any", "input": "revenue"}),
]


@pytest.fixture(scope="module")
def gateways(gateway_defaults, log_dir, upstream_session) -> Iterator[dict[str, GatewayProcess]]:
    """Started together (start-up is mostly imports): keys + DEBUG logs + CORS, and keys + a rate limit."""
    base = gateway_defaults(upstream_session.base_url, upstream_api_key=UPSTREAM_KEY, api_keys=GOOD_KEY)
    with ExitStack() as stack:
        started = {
            "auth": start_gateway(log_dir, **{**base, "log_level": "DEBUG", "cors_origins": ALLOWED_ORIGIN}),
            "limited": start_gateway(
                log_dir,
                **{**base, "api_keys": f"{GOOD_KEY},{SECOND_KEY}", "rate_limit_per_minute": RATE_PER_MINUTE},
            ),
        }
        for gateway in started.values():
            stack.callback(gateway.stop)
        for gateway in started.values():
            wait_healthy(gateway)
        yield started


@pytest.fixture(scope="module")
def auth_gateway(gateways) -> GatewayProcess:
    return gateways["auth"]


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


BAD_CREDENTIALS = {
    "missing": {},
    "wrong": bearer(WRONG_KEY),
    "empty-bearer": {"Authorization": "Bearer"},
    "basic-scheme": {"Authorization": f"Basic {GOOD_KEY}"},
    "no-scheme": {"Authorization": GOOD_KEY},
    "key-with-suffix": bearer(GOOD_KEY + "x"),
    "key-prefix": bearer(GOOD_KEY[:-1]),
}


@pytest.mark.parametrize(("method", "path", "body"), PROTECTED, ids=[p[1] for p in PROTECTED])
def test_missing_and_wrong_keys_get_the_identical_401(auth_gateway, upstream, method, path, body):
    answers = {}
    with httpx.Client(base_url=auth_gateway.url, timeout=30) as http:
        for name, headers in BAD_CREDENTIALS.items():
            response = http.request(method, path, json=body, headers=headers)
            assert response.status_code == 401, (name, response.text)
            answers[name] = (response.content, response.headers.get("www-authenticate"))
        ok = http.request(method, path, json=body, headers=bearer(GOOD_KEY))
    assert len(set(answers.values())) == 1, answers
    content, challenge = answers["missing"]
    assert challenge == "Bearer"
    assert_openai_error(httpx.Response(401, content=content).json(), code="invalid_api_key")
    assert ok.status_code != 401
    assert upstream.control.stats()["attempts"] <= 1, "an unauthenticated request reached the upstream"


def test_auth_is_checked_before_the_body_is_validated(auth_gateway, upstream):
    response = httpx.post(auth_gateway.base_url + "/chat/completions", json={"messages": "x"}, timeout=30)
    assert response.status_code == 401, response.text


def test_health_and_ready_need_no_key(auth_gateway):
    assert httpx.get(auth_gateway.url + "/health", timeout=10).status_code == 200
    assert httpx.get(auth_gateway.url + "/ready", timeout=10).status_code == 200


async def test_keys_never_appear_in_logs(auth_gateway, upstream):
    async with httpx.AsyncClient(base_url=auth_gateway.url, timeout=30) as http:
        for headers in (bearer(GOOD_KEY), bearer(WRONG_KEY), {"Authorization": f"Basic {WRONG_KEY}"}):
            await http.get("/v1/models", headers=headers)
            await http.post("/v1/chat/completions", json={"messages": "bad"}, headers=headers)
            await http.post("/v1/embeddings", json={"model": "x", "input": "revenue"}, headers=headers)
        streamed = await stream_chat(
            http, auth_gateway.url, chat_body(max_tokens=3), headers=bearer(GOOD_KEY)
        )
        assert streamed.status == 200 and streamed.done
        upstream.control.set_faults(fail_next=5, fail_status=500)  # error paths log the most
        failed = await http.post(
            "/v1/chat/completions", json=chat_body(stream=False), headers=bearer(GOOD_KEY)
        )
        assert failed.status_code >= 500
    assert upstream.control.stats()["attempts"] >= 2
    logs = auth_gateway.logs()
    assert '"level": "DEBUG"' in logs or "request" in logs, "nothing was logged: the scan would prove nothing"
    for name, secret in {"good": GOOD_KEY, "wrong": WRONG_KEY, "upstream": UPSTREAM_KEY}.items():
        for fragment in (secret, secret[-24:]):
            assert fragment not in logs, f"the {name} key appears in the gateway logs"


def test_rate_limit_is_429_with_retry_after_per_key(gateways, upstream):
    limited = gateways["limited"]
    with httpx.Client(base_url=limited.url, timeout=30) as http:
        statuses = [
            http.get("/v1/models", headers=bearer(GOOD_KEY)).status_code for _ in range(RATE_PER_MINUTE)
        ]
        assert statuses == [200] * RATE_PER_MINUTE
        over = http.get("/v1/models", headers=bearer(GOOD_KEY))
        other_key = http.get("/v1/models", headers=bearer(SECOND_KEY))
        chat_over = http.post("/v1/chat/completions", json=chat_body(stream=False), headers=bearer(GOOD_KEY))
    assert over.status_code == 429, over.text
    assert_openai_error(over.json(), code="rate_limit_exceeded")
    retry_after = int(over.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    assert other_key.status_code == 200, "the limit must be per key"
    assert chat_over.status_code == 429 and "Retry-After" in chat_over.headers
    assert upstream.control.stats()["attempts"] == 0, "a rate-limited request reached the upstream"


PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization,content-type",
}


def cors_headers(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.lower().startswith("access-control-")}


def test_cors_is_closed_by_default(gateway):
    with httpx.Client(base_url=gateway.url, timeout=10) as http:
        preflight = http.options("/v1/chat/completions", headers={"Origin": ALLOWED_ORIGIN, **PREFLIGHT})
        simple = http.get("/v1/models", headers={"Origin": ALLOWED_ORIGIN})
    assert cors_headers(preflight) == {}, preflight.headers
    assert preflight.status_code >= 400
    assert cors_headers(simple) == {}


def test_cors_allows_only_the_configured_origin(auth_gateway):
    with httpx.Client(base_url=auth_gateway.url, timeout=10) as http:
        allowed = http.options("/v1/chat/completions", headers={"Origin": ALLOWED_ORIGIN, **PREFLIGHT})
        other = http.options("/v1/chat/completions", headers={"Origin": "https://evil.example", **PREFLIGHT})
        simple_other = http.get("/v1/models", headers={"Origin": "https://evil.example", **bearer(GOOD_KEY)})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert "access-control-allow-origin" not in other.headers
    assert other.status_code >= 400
    assert "access-control-allow-origin" not in simple_other.headers
    assert allowed.headers.get("access-control-allow-origin") != "*"
