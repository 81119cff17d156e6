"""Upstream model servers: one pooled AsyncOpenAI client per base URL, routed by model name."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx2
import openai

from gateway.errors import GatewayError, model_not_found
from gateway.settings import GatewaySettings
from gateway.upstream.failures import as_connection_error, is_unavailable
from gateway.upstream.http_client import build_http_client
from gateway.upstream.warmup import WarmupHook

logger = logging.getLogger(__name__)

_CATALOG_FAILURE_TTL = 1.0


@dataclass
class Upstream:
    """One upstream server and its cached model catalogue."""

    base_url: str
    client: openai.AsyncOpenAI
    catalog_ttl: float
    probe_timeout: float
    retry_after: int
    on_unavailable: Callable[[str], object] = lambda reason: None
    _models: dict[str, dict[str, Any]] | None = None
    _fetched_at: float = 0.0
    _failed_until: float = 0.0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def _fresh(self, max_age: float) -> bool:
        return self._models is not None and time.monotonic() - self._fetched_at < max_age

    async def models(self, max_age: float | None = None) -> dict[str, dict[str, Any]]:
        """Model cards by id from the upstream's /v1/models; raises GatewayError 503 when it is down."""
        age = self.catalog_ttl if max_age is None else max_age
        if self._fresh(age):
            assert self._models is not None
            return self._models
        if time.monotonic() < self._failed_until:
            raise _unavailable(self.retry_after)
        async with self._lock:
            if self._fresh(age):
                assert self._models is not None
                return self._models
            try:
                raw = await self.client.models.with_raw_response.list(timeout=self.probe_timeout)
                cards = raw.http_response.json().get("data", [])
            except (openai.APIError, ValueError, AttributeError) as raised:
                exc = as_connection_error(raised)
                self._failed_until = time.monotonic() + _CATALOG_FAILURE_TTL
                logger.warning("upstream %s did not list its models: %s", self.base_url, type(exc).__name__)
                if is_unavailable(exc):
                    self.on_unavailable("models_unavailable")
                raise _unavailable(self.retry_after) from exc
            self._models = {card["id"]: card for card in cards if isinstance(card, dict) and "id" in card}
            self._fetched_at = time.monotonic()
            return self._models

    def cached_models(self) -> dict[str, dict[str, Any]] | None:
        """Last known catalogue, even if stale."""
        return self._models


def _unavailable(retry_after: int) -> GatewayError:
    return GatewayError(
        503,
        "The upstream model server is unavailable or still loading; retry later.",
        code="upstream_unavailable",
        headers={"Retry-After": str(retry_after)},
    )


class UpstreamRegistry:
    """Routes a model name to its upstream; unknown models give 404 model_not_found."""

    def __init__(self, settings: GatewaySettings, warmup: WarmupHook) -> None:
        self._settings = settings
        self._warmup = warmup
        self._by_url: dict[str, Upstream] = {}
        self._by_model = {model: self._upstream_for(url) for model, url in settings.upstreams.items()}
        self._default = self._upstream_for(settings.default_upstream) if settings.default_upstream else None

    def _upstream_for(self, base_url: str) -> Upstream:
        url = base_url.rstrip("/")
        if url not in self._by_url:
            s = self._settings
            http_client = build_http_client(
                s.upstream_http_client,
                max_connections=s.upstream_max_connections,
                total_timeout=s.total_timeout,
                connect_timeout=s.connect_timeout,
            )
            client = openai.AsyncOpenAI(
                base_url=url,
                api_key=s.upstream_api_key.get_secret_value(),
                max_retries=0,  # retries are ours (tenacity), so they stop at the first byte sent
                timeout=httpx2.Timeout(s.total_timeout, connect=s.connect_timeout),
                http_client=http_client,
            )
            probe_timeout = min(5.0, s.connect_timeout + 2.0)
            self._by_url[url] = Upstream(
                url, client, s.model_cache_ttl, probe_timeout, s.unavailable_retry_after, self._warmup.trigger
            )
        return self._by_url[url]

    @property
    def upstreams(self) -> list[Upstream]:
        """Every distinct upstream."""
        return list(self._by_url.values())

    async def resolve(self, model: str) -> Upstream:
        """The upstream serving `model`."""
        if model in self._by_model:
            return self._by_model[model]
        if self._default is None:
            raise model_not_found(model)
        if model not in await self._default.models():
            raise model_not_found(model)
        return self._default

    def is_known(self, model: str) -> bool:
        """Whether `model` is routed or was listed by the default upstream (no I/O)."""
        if model in self._by_model:
            return True
        cached = self._default.cached_models() if self._default is not None else None
        return cached is not None and model in cached

    async def max_model_len(self, upstream: Upstream, model: str) -> int:
        """Context window reported by vLLM (`max_model_len`), else the configured default."""
        try:
            card = (await upstream.models()).get(model, {})
        except GatewayError:
            card = (upstream.cached_models() or {}).get(model, {})
        value = card.get("max_model_len")
        return int(value) if isinstance(value, int) and value > 0 else self._settings.default_max_model_len

    async def list_models(self) -> list[dict[str, Any]]:
        """Union of the upstreams' model cards; mapped names appear even if their upstream is down."""
        results = await asyncio.gather(*(u.models() for u in self.upstreams), return_exceptions=True)
        cards: dict[str, dict[str, Any]] = {}
        for result in results:
            if isinstance(result, GatewayError):
                continue
            if isinstance(result, BaseException):
                raise result
            cards.update(result)
        for model in self._by_model:
            cards.setdefault(model, {"id": model, "object": "model", "created": 0, "owned_by": "vllm"})
        if not cards:
            raise _unavailable(self._settings.unavailable_retry_after)
        return list(cards.values())

    async def probe(self, max_age: float = 2.0) -> dict[str, bool]:
        """Whether each upstream answered /v1/models within the last `max_age` seconds."""
        results = await asyncio.gather(*(u.models(max_age) for u in self.upstreams), return_exceptions=True)
        return {
            u.base_url: not isinstance(r, BaseException) for u, r in zip(self.upstreams, results, strict=True)
        }

    async def aclose(self) -> None:
        """Close every pooled client."""
        await asyncio.gather(*(u.client.close() for u in self.upstreams), return_exceptions=True)
