"""Application wiring: build_app(settings) and the lifespan that loads the index and opens upstream pools."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from retriever.embedder import Embedder
from retriever.index import SearchIndex
from retriever.rerank.base import Reranker
from retriever.rerank.registry import make_reranker
from retriever.settings import RetrieverSettings

from gateway.auth import ApiKeyAuth
from gateway.chat.api_router import router as chat_router
from gateway.chat.serving import ChatService
from gateway.embeddings.api_router import router as embeddings_router
from gateway.embeddings.serving import EmbeddingService
from gateway.errors import install_error_handlers
from gateway.files.api_router import router as files_router
from gateway.files.serving import FileService
from gateway.health.api_router import router as health_router
from gateway.http.body_limit import BodyLimitMiddleware
from gateway.http.context import RequestContextMiddleware
from gateway.metrics import Metrics
from gateway.models.api_router import router as models_router
from gateway.models.serving import ModelService
from gateway.prompt.tokens import EstimatingCounter, TokenCounters
from gateway.ratelimit import RateLimiter
from gateway.responses.api_router import router as responses_router
from gateway.responses.serving import ResponsesService
from gateway.responses.store import ResponseStore
from gateway.retrieval.service import RetrievalService
from gateway.settings import GatewaySettings
from gateway.state import GatewayState
from gateway.ui.api_router import mount_ui
from gateway.upstream.caller import UpstreamCaller
from gateway.upstream.registry import UpstreamRegistry
from gateway.upstream.warmup import WarmupHook, lambda_invoker
from gateway.vector_stores.api_router import router as vector_stores_router
from gateway.vector_stores.serving import VectorStoreService

logger = logging.getLogger(__name__)


def load_embedder(settings: GatewaySettings) -> Embedder:
    """The query/document embedder named by the settings."""
    retriever_settings = RetrieverSettings(
        embedding_model=settings.embedding_model,
        embedding_backend=settings.embedding_backend,
        embedding_url=settings.embedding_url,
        embedding_served_model=settings.embedding_served_model or None,
        embedding_timeout=settings.embedding_timeout,
        index_dir=settings.index_dir,
    )
    return Embedder.from_settings(retriever_settings)


def load_index(settings: GatewaySettings, embedder: Embedder) -> SearchIndex:
    """The current index version; raises IndexLoadError (one clear line) when missing or mismatched."""
    return SearchIndex.load(settings.index_dir, embedder)


def http_rerankers(settings: GatewaySettings) -> dict[str, Reranker | None]:
    """The cross-encoder behind RAG_RERANKER_URL, when the deployment has one."""
    if not settings.reranker_url or not settings.reranker_model:
        return {}
    return {
        "http": make_reranker(
            "http",
            url=settings.reranker_url,
            model=settings.reranker_model,
            timeout=settings.reranker_timeout,
        )
    }


def init_state(
    settings: GatewaySettings,
    metrics: Metrics,
    embedder: Embedder,
    index: SearchIndex,
    lambda_client: Any = None,
) -> GatewayState:
    """Build every service once."""
    retrieval = RetrievalService(
        embedder,
        index,
        settings.index_dir,
        metrics,
        max_batch=settings.embedding_max_batch,
        search_threads=settings.search_threads,
        threads=settings.retrieval_threads,
        rerankers=http_rerankers(settings),
        default_reranker=settings.reranker,
        cache_size=settings.retrieval_cache_size,
    )
    invoke = (
        lambda_invoker(settings.warmup_lambda_name, settings.aws_region, lambda_client)
        if settings.warmup_lambda_name
        else None
    )
    warmup = WarmupHook(invoke, settings.warmup_cooldown)
    registry = UpstreamRegistry(settings, warmup)
    caller = UpstreamCaller(settings, metrics, warmup)
    counters = TokenCounters(
        settings.tokenizers, EstimatingCounter(embedder.count_tokens, settings.token_estimate_factor)
    )
    chat = ChatService(settings, registry, caller, retrieval, counters, metrics)
    store = ResponseStore(
        settings.responses_store_path, ttl=settings.responses_ttl, max_rows=settings.responses_max_stored
    )
    return GatewayState(
        settings=settings,
        metrics=metrics,
        auth=ApiKeyAuth(settings.key_digests),
        limiter=RateLimiter(settings.rate_limit_per_minute),
        registry=registry,
        retrieval=retrieval,
        chat=chat,
        vector_stores=VectorStoreService(
            retrieval, settings.vector_store_id, infer_filters=settings.infer_filters
        ),
        embeddings=EmbeddingService(
            retrieval, settings.embedding_model, served_name=settings.embedding_served_name
        ),
        models=ModelService(registry),
        warmup=warmup,
        files=FileService(retrieval, settings.vector_store_id),
        responses=ResponsesService(settings, chat, store),
    )


def build_app(
    settings: GatewaySettings,
    *,
    embedder: Embedder | None = None,
    index: SearchIndex | None = None,
    lambda_client: Any = None,
) -> FastAPI:
    """The gateway app; a preloaded embedder/index (CLI, tests) skips loading them at start-up.

    `lambda_client` replaces the boto3 Lambda client of the warm-up hook (tests inject a stubbed one).
    """
    metrics = Metrics()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        sys.setswitchinterval(settings.switch_interval)
        emb = embedder if embedder is not None else await asyncio.to_thread(load_embedder, settings)
        idx = index if index is not None else await asyncio.to_thread(load_index, settings, emb)
        state = init_state(settings, metrics, emb, idx, lambda_client)
        app.state.gateway = state
        watcher = None
        if settings.index_poll_interval > 0:
            watcher = asyncio.create_task(state.retrieval.watch(settings.index_poll_interval))
        logger.info("gateway ready: index %s (%d chunks)", idx.version, len(idx))
        try:
            yield
        finally:
            if watcher is not None:
                watcher.cancel()
                await asyncio.gather(watcher, return_exceptions=True)
            await state.registry.aclose()
            state.retrieval.close()

    app = FastAPI(
        title="SEC 10-K RAG gateway",
        version="0.1.0",
        description="OpenAI-compatible chat, vector-store search and embeddings over SEC 10-K filings.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    for router in (
        chat_router,
        responses_router,
        vector_stores_router,
        files_router,
        models_router,
        embeddings_router,
        health_router,
    ):
        app.include_router(router)
    if settings.ui_served:
        mount_ui(app)
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID"],
        )
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    return app
