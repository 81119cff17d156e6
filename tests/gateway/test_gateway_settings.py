"""GatewaySettings: keys become digests, production refuses unsafe defaults."""

import hashlib
from pathlib import Path

import pytest
from gateway.settings import GatewaySettings
from pydantic import ValidationError

ENV_EXAMPLE = Path(__file__).resolve().parents[2] / "services" / "gateway" / ".env.example"


def test_plain_keys_are_hashed_and_dropped():
    settings = GatewaySettings(api_keys="alpha, beta")
    assert settings.api_keys == []
    assert hashlib.sha256(b"alpha").digest() in settings.key_digests
    assert "alpha" not in repr(settings)


def test_digests_are_validated():
    with pytest.raises(ValidationError):
        GatewaySettings(api_key_digests="not-a-digest")


def test_production_requires_keys_and_refuses_wildcard_cors():
    with pytest.raises(ValidationError, match="RAG_API_KEYS"):
        GatewaySettings(environment="production")
    with pytest.raises(ValidationError, match="CORS"):
        GatewaySettings(environment="production", api_keys="k", cors_origins="*")


def test_env_example_is_loadable(monkeypatch):
    settings = GatewaySettings(_env_file=ENV_EXAMPLE)
    assert settings.vector_store_id == "sec-10k"
    assert settings.cors_origins == []


def test_env_upstream_map(monkeypatch):
    monkeypatch.setenv("RAG_UPSTREAMS", '{"llama": "http://127.0.0.1:9000/v1"}')
    monkeypatch.setenv("RAG_CORS_ORIGINS", '["https://a.example"]')
    settings = GatewaySettings()
    assert settings.upstreams == {"llama": "http://127.0.0.1:9000/v1"}
    assert settings.cors_origins == ["https://a.example"]
