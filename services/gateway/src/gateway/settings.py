"""Gateway configuration, read from the environment (prefix ``RAG_``)."""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from gateway.upstream.http_client import HttpClientKind

_HEX_DIGEST = re.compile(r"^[0-9a-f]{64}$")


def _split_csv(value: object) -> object:
    """Accept a JSON list or a comma-separated string for list settings."""
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("["):
            return json.loads(stripped)
        return [item.strip() for item in stripped.split(",") if item.strip()]
    return value


class GatewaySettings(BaseSettings):
    """Every knob of the gateway; see services/gateway/.env.example."""

    model_config = SettingsConfigDict(
        env_prefix="RAG_", env_file=".env", extra="ignore", env_ignore_empty=True
    )

    environment: Literal["development", "production"] = "development"

    # Network
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    drain_timeout: float = Field(default=30.0, gt=0)
    keep_alive_timeout: float = Field(default=620.0, gt=0)
    # uvicorn worker processes; each loads the embedder and index. Rate limits are counted per process.
    workers: int = Field(default=1, ge=1, le=32)
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # Upstreams (vLLM servers): model served name -> base URL ending in /v1, plus a default for the rest.
    upstreams: dict[str, str] = Field(default_factory=dict)
    default_upstream: str | None = "http://127.0.0.1:8000/v1"
    upstream_api_key: SecretStr = SecretStr("EMPTY")
    default_max_model_len: int = Field(default=8192, ge=256)
    model_cache_ttl: float = Field(default=30.0, ge=0)
    upstream_max_connections: int = Field(default=512, ge=1)
    upstream_http_client: HttpClientKind = "aiohttp"

    # Timeouts (seconds) and retries towards upstreams
    connect_timeout: float = Field(default=3.0, gt=0)
    ttft_timeout: float = Field(default=60.0, gt=0)
    total_timeout: float = Field(default=600.0, gt=0)
    retries: int = Field(default=3, ge=0, le=10)
    retry_backoff_initial: float = Field(default=0.05, ge=0)
    retry_backoff_max: float = Field(default=1.0, ge=0)
    retry_after_max: float = Field(default=5.0, ge=0)
    unavailable_retry_after: int = Field(default=5, ge=1)

    # Retrieval
    index_dir: Path = Path("data/index")
    index_poll_interval: float = Field(default=5.0, ge=0)
    embedding_model: str = "BAAI/bge-small-en-v1.5"
    # torch / onnx embed queries in-process; http posts them to an OpenAI-compatible /v1/embeddings server
    # (vLLM --runner pooling) at embedding_url, serving the same weights as the local RAG_EMBEDDING_MODEL
    # folder (still needed for the tokenizer and the fingerprint). An index and the gateway may use different
    # backends: loading checks that this embedder reproduces the index's vectors when either side is http.
    embedding_backend: Literal["torch", "onnx", "http"] = "onnx"
    embedding_url: str | None = None
    # Name the embeddings server serves the model under (vLLM --served-model-name); empty = embedding_model.
    embedding_served_model: str | None = None
    # Seconds per query-embedding request; 429/502/503/504 and connection errors are retried three times.
    embedding_timeout: float = Field(default=5.0, gt=0)
    # Name clients pass to /v1/embeddings; empty = the hub id, or a local folder's name.
    embedding_served_name: str = ""
    # Small on purpose: on CPU a batch of 32 costs about as much as 32 single encodes, and every query in it
    # waits for the slowest; a cap of 8 keeps the wait short while still sharing one thread hop.
    embedding_max_batch: int = Field(default=8, ge=1)
    # Threads one FAISS/BLAS search may use (0 = the libraries' default, all cores). Concurrent requests keep
    # the cores busy, so a single-threaded scan is cheaper than a parallel one.
    search_threads: int = Field(default=1, ge=0)
    # Query batches embedded and searched at once (each in its own thread; ONNX releases the GIL).
    retrieval_threads: int = Field(default=2, ge=1, le=64)
    # Seconds a thread may hold the GIL while another waits (Python's default: 0.005). The retrieval thread
    # re-takes the GIL after each ONNX/FAISS call; with the event loop busy it could wait that long each time.
    switch_interval: float = Field(default=0.001, gt=0, le=0.1)
    vector_store_id: str = "sec-10k"
    rag_default_enabled: bool = True
    top_k: int = Field(default=5, ge=1, le=50)
    max_top_k: int = Field(default=50, ge=1, le=200)
    score_threshold: float | None = None
    # A question naming companies (or a conversation that named them) is searched within their filings; a
    # client filter is ANDed with what the question says about the keys it leaves open.
    infer_filters: bool = True
    # Second retrieval stage over the fused top 50: "fusion" (learned, < 1 ms), "http" (a cross-encoder
    # served by vLLM's /v1/rerank at reranker_url), "none". Per request: rag.rerank.
    reranker: Literal["fusion", "http", "none"] = "fusion"
    reranker_url: str | None = None
    reranker_model: str | None = None
    reranker_timeout: float = Field(default=2.0, gt=0)
    # Retrieval results kept per worker (LRU keyed by index version, query, filters and options); 0 = off.
    retrieval_cache_size: int = Field(default=2048, ge=0)
    # Every answer's figures are checked against its sources and listed in `grounding` ("flag"); "off" skips
    # the check. Per request: rag.grounding.
    grounding: Literal["flag", "off"] = "flag"

    # Responses API store (SQLite): one file every worker on the host shares; it survives restarts.
    responses_store_path: Path = Field(
        default_factory=lambda: Path(tempfile.gettempdir()) / "rag-gateway" / "responses.sqlite3"
    )
    responses_ttl: float = Field(default=30 * 24 * 3600.0, gt=0)
    responses_max_stored: int = Field(default=10_000, ge=1)

    # Prompt fitting
    tokenizers: dict[str, str] = Field(default_factory=dict)
    token_estimate_factor: float = Field(default=1.3, ge=1.0)
    default_completion_tokens: int = Field(default=512, ge=1)

    # Security and limits
    api_keys: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list, repr=False)
    api_key_digests: Annotated[list[str], NoDecode] = Field(default_factory=list, repr=False)
    rate_limit_per_minute: int = Field(default=0, ge=0)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)

    # Warm-up hook (AWS Lambda invoked when the upstream is down)
    warmup_lambda_name: str | None = None
    warmup_cooldown: float = Field(default=300.0, ge=0)
    aws_region: str | None = None

    # Chat page at / and /ui/ (None: on in development, off in production unless set to true)
    ui_enabled: bool | None = None

    # Logging
    log_level: str = "INFO"
    log_json: bool = True

    @field_validator("cors_origins", "api_keys", "api_key_digests", mode="before")
    @classmethod
    def _lists_from_csv(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("api_key_digests")
    @classmethod
    def _digests_are_sha256(cls, value: list[str]) -> list[str]:
        lowered = [digest.lower() for digest in value]
        for position, digest in enumerate(lowered):
            if not _HEX_DIGEST.match(digest):
                raise ValueError(f"api_key_digests[{position}] is not a hex sha256 digest")
        return lowered

    @model_validator(mode="after")
    def _hash_plain_keys(self) -> GatewaySettings:
        # Plain keys are turned into digests at once so only digests live in memory afterwards.
        digests = {hashlib.sha256(key.get_secret_value().encode()).hexdigest() for key in self.api_keys}
        self.api_key_digests = sorted(digests | set(self.api_key_digests))
        self.api_keys = []
        return self

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> GatewaySettings:
        if self.environment == "production":
            if not self.key_digests:
                raise ValueError(
                    "RAG_API_KEYS or RAG_API_KEY_DIGESTS must be set when RAG_ENVIRONMENT=production"
                )
            if "*" in self.cors_origins:
                raise ValueError("RAG_CORS_ORIGINS='*' is refused when RAG_ENVIRONMENT=production")
        if not self.upstreams and not self.default_upstream:
            raise ValueError("set RAG_UPSTREAMS or RAG_DEFAULT_UPSTREAM")
        return self

    @model_validator(mode="after")
    def _http_embedder_needs_a_server(self) -> GatewaySettings:
        if self.embedding_backend == "http" and not self.embedding_url:
            raise ValueError("RAG_EMBEDDING_BACKEND=http needs RAG_EMBEDDING_URL (a /v1 base URL)")
        return self

    @model_validator(mode="after")
    def _http_reranker_needs_a_server(self) -> GatewaySettings:
        if self.reranker == "http" and not (self.reranker_url and self.reranker_model):
            raise ValueError("RAG_RERANKER=http needs RAG_RERANKER_URL and RAG_RERANKER_MODEL")
        return self

    @property
    def ui_served(self) -> bool:
        """Whether the chat page is served (RAG_UI_ENABLED, else only outside production)."""
        return self.ui_enabled if self.ui_enabled is not None else self.environment != "production"

    @property
    def key_digests(self) -> frozenset[bytes]:
        """All accepted API keys as raw sha256 digests."""
        return frozenset(bytes.fromhex(digest) for digest in self.api_key_digests)
