"""Retrieval: embed queries (batched) and search FAISS in one worker-thread hop, hot-swap index versions."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
from retriever.embedder import Embedder
from retriever.filters import Filter, to_dict
from retriever.hits import Hit
from retriever.index import IndexLoadError, SearchIndex
from retriever.index.compute_threads import limit_search_threads
from retriever.rerank.base import Reranker
from retriever.search_plan import SearchPlan

from gateway.errors import invalid_request
from gateway.metrics import Metrics
from gateway.retrieval.batcher import QueryBatcher
from gateway.retrieval.cache import RetrievalCache, cache_key

logger = logging.getLogger(__name__)

T = TypeVar("T")


def _nothing(hits: list[Hit]) -> None:
    """No follow-up work after a search."""


@dataclass(frozen=True)
class Retrieved:
    """Hits plus the index version that produced them, the search plan, and where the time went."""

    hits: list[Hit]
    index_version: str
    embed_seconds: float
    search_seconds: float
    plan: SearchPlan | None = None
    cached: bool = False

    @property
    def inferred_filter(self) -> Filter | None:
        """The part of the filter inferred from the conversation (None when nothing was added)."""
        return self.plan.inferred if self.plan is not None else None


class RetrievalService:
    """The in-process retriever shared by chat, vector-store search and embeddings."""

    def __init__(
        self,
        embedder: Embedder,
        index: SearchIndex,
        index_dir: Path,
        metrics: Metrics,
        *,
        max_batch: int = 8,
        search_threads: int = 1,
        threads: int = 1,
        rerankers: Mapping[str, Reranker | None] | None = None,
        default_reranker: str = "fusion",
        cache_size: int = 0,
    ) -> None:
        self.embedder = embedder
        self._index = index
        self._index_dir = index_dir
        self._metrics = metrics
        # "fusion" is always available (the index's packaged model); "http" only when configured.
        self._rerankers: dict[str, Reranker | None] = {"none": None, "fusion": index.default_reranker}
        self._rerankers.update(rerankers or {})
        if default_reranker not in self._rerankers:
            raise ValueError(f"reranker {default_reranker!r} is not configured")
        self._default_reranker = default_reranker
        self._cache: RetrievalCache[list[Hit]] = RetrievalCache(cache_size)
        # Dedicated threads run the batches, one batch each; their FAISS/BLAS caps are set once, in each
        # thread, because OpenMP keeps them per thread.
        self._executor = ThreadPoolExecutor(
            max_workers=threads,
            thread_name_prefix="retrieval",
            initializer=limit_search_threads,
            initargs=(search_threads,),
        )
        self._batcher = QueryBatcher(
            embedder.embed_queries, max_batch, metrics, self._executor, concurrency=threads
        )
        self._swap_lock = asyncio.Lock()

    def close(self) -> None:
        """Stop the retrieval threads once queued batches are done."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    @property
    def index(self) -> SearchIndex:
        """The index serving new requests (in-flight ones keep the one they started with)."""
        return self._index

    @property
    def version(self) -> str:
        """Version (content hash) of the serving index."""
        return self._index.version

    def reranker_names(self) -> list[str]:
        """Second stages a request may ask for."""
        return sorted(self._rerankers)

    def check_reranker(self, name: str | None, *, param: str) -> str | None:
        """`name` if this deployment has that second stage (None: the default), else a 400 naming `param`."""
        if name is None or name in self._rerankers:
            return name
        raise invalid_request(
            f"{param.rsplit('.', 1)[-1]} {name!r} is not available on this deployment; expected one of "
            f"{', '.join(self.reranker_names())}.",
            param=param,
        )

    async def search(
        self,
        turns: Sequence[str],
        k: int,
        filters: Filter | None = None,
        score_threshold: float | None = None,
        *,
        infer_filters: bool = False,
        rerank: str | None = None,
    ) -> Retrieved:
        """Top-k hits for the last of `turns` (user messages, oldest first), best first."""
        retrieved, _ = await self.search_then(
            turns, k, filters, score_threshold, then=_nothing, infer_filters=infer_filters, rerank=rerank
        )
        return retrieved

    async def search_then(
        self,
        turns: Sequence[str],
        k: int,
        filters: Filter | None,
        score_threshold: float | None,
        then: Callable[[list[Hit]], T],
        *,
        infer_filters: bool = False,
        rerank: str | None = None,
    ) -> tuple[Retrieved, T]:
        """Top-k hits and `then(hits)`, run in the embedding batch's worker thread (one hop per request).

        With `infer_filters`, the search is scoped by what the conversation names (companies, fiscal year,
        form, Items), ANDed with `filters` on the keys they leave open; an elliptical follow-up also searches
        with the earlier question's topic. A repeated search is answered from the cache.
        """
        index = self._index
        started = time.perf_counter()
        name = self.check_reranker(rerank, param="rerank") or self._default_reranker
        reranker = self._rerankers[name]
        plan = index.plan(turns, filters, infer=infer_filters)
        key = cache_key(
            index.version,
            plan.query,
            to_dict(plan.filter) if plan.filter is not None else None,
            plan.items,
            k,
            score_threshold,
            name,
        )
        cached = self._cache.get(key)
        if cached is not None:
            self._metrics.retrieval_cache.labels("hit").inc()
            seconds = time.perf_counter() - started
            retrieved = Retrieved(cached, index.version, 0.0, seconds, plan, cached=True)
            return retrieved, await asyncio.to_thread(then, cached)
        if self._cache.enabled:
            self._metrics.retrieval_cache.labels("miss").inc()

        def finish(vector: np.ndarray) -> tuple[Retrieved, T]:
            embedded = time.perf_counter()
            hits = index.search(
                plan.query,
                k,
                plan.filter,
                score_threshold,
                vector,
                items=plan.items,
                analysis=plan.analysis,
                rerank=reranker if reranker is not None else False,
            )
            searched = time.perf_counter()
            self._metrics.search_seconds.observe(searched - embedded)
            self._cache.put(key, hits)
            retrieved = Retrieved(hits, index.version, embedded - started, searched - embedded, plan)
            return retrieved, then(hits)

        return await self._batcher.run(plan.query, finish)

    async def embed_documents(self, texts: list[str]) -> np.ndarray:
        """Document-side embeddings (no query prefix), as stored in the index."""
        return await asyncio.to_thread(self.embedder.embed_documents, texts)

    async def count_tokens(self, texts: list[str]) -> int:
        """Embedding-model tokens in `texts`."""
        return await asyncio.to_thread(lambda: sum(self.embedder.count_tokens(text) for text in texts))

    async def reload_if_changed(self) -> bool:
        """Swap in a new index version if the pointer moved; a broken one leaves the old one serving."""
        async with self._swap_lock:
            try:
                latest = await asyncio.to_thread(SearchIndex.current_version, self._index_dir)
            except (OSError, ValueError, IndexLoadError) as exc:
                logger.warning("cannot read index version pointer: %s", exc)
                return False
            if latest is None or latest == self._index.version:
                return False
            try:
                fresh = await asyncio.to_thread(SearchIndex.load, self._index_dir, self.embedder)
            except IndexLoadError as exc:
                logger.error(
                    "new index version %s not loaded, keeping %s: %s", latest, self._index.version, exc
                )
                return False
            previous, self._index = self._index.version, fresh
            self._rerankers["fusion"] = fresh.default_reranker
            self._cache.clear()
            self._metrics.index_swaps.inc()
            logger.info("index hot-swapped from %s to %s (%d chunks)", previous, fresh.version, len(fresh))
            return True

    async def watch(self, interval: float) -> None:
        """Poll for new index versions until cancelled; a poll that fails is logged and the next one runs."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.reload_if_changed()
            except Exception:
                # Whatever one poll hits (a half-copied version, a full disk, a bug), hot swapping must go on.
                logger.exception("index poll failed, %s keeps serving", self._index.version)
