"""Per-key token bucket and constant-time API key checks."""

import hashlib

import pytest
from gateway.auth import ApiKeyAuth
from gateway.errors import GatewayError
from gateway.ratelimit import RateLimiter


def test_bucket_allows_burst_then_429_with_retry_after():
    limiter = RateLimiter(per_minute=2)
    limiter.check("a", now=0.0)
    limiter.check("a", now=0.1)
    with pytest.raises(GatewayError) as caught:
        limiter.check("a", now=0.2)
    assert caught.value.status == 429
    assert caught.value.code == "rate_limit_exceeded"
    assert int(caught.value.headers["Retry-After"]) >= 1
    limiter.check("b", now=0.2)  # other keys are unaffected
    limiter.check("a", now=31.0)  # refilled


def test_missing_and_wrong_keys_get_the_same_error():
    auth = ApiKeyAuth(frozenset({hashlib.sha256(b"right").digest()}))
    errors = []
    for header in (None, "Bearer wrong", "Basic right", "Bearer "):
        with pytest.raises(GatewayError) as caught:
            auth.principal(header)
        errors.append((caught.value.status, caught.value.body()))
    assert len(set(map(str, errors))) == 1 and errors[0][0] == 401
    principal = auth.principal("Bearer right")
    assert principal.startswith("key-") and "right" not in principal


def test_no_keys_means_open():
    assert ApiKeyAuth(frozenset()).principal(None) == "anonymous"
