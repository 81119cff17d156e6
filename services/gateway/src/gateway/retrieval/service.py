"""Retrieval: embed queries (batched) and search FAISS in one worker-thread hop, hot-swap index versions."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
from retriever.embedder import Embedder
from retriever.filters import Filter
from retriever.hits import Hit
from retriever.index import IndexLoadError, SearchIndex
from retriever.index.compute_threads import limit_search_threads

from gateway.metrics import Metrics
from gateway.retrieval.batcher import QueryBatcher

logger = logging.getLogger(__name__)

T = TypeVar("T")


def _nothing(hits: list[Hit]) -> None:
    """No follow-up work after a search."""


@dataclass(frozen=True)
class Retrieved:
    """Hits plus the index version that produced them and where the time went."""

    hits: list[Hit]
    index_version: str
    embed_seconds: float
    search_seconds: float
    inferred_filter: Filter | None = None


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
    ) -> None:
        self.embedder = embedder
        self._index = index
        self._index_dir = index_dir
        self._metrics = metrics
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

    async def search(
        self,
        query: str,
        k: int,
        filters: Filter | None = None,
        score_threshold: float | None = None,
        *,
        infer_filters: bool = False,
    ) -> Retrieved:
        """Top-k hits for `query`, best first."""
        retrieved, _ = await self.search_then(
            query, k, filters, score_threshold, then=_nothing, infer_filters=infer_filters
        )
        return retrieved

    async def search_then(
        self,
        query: str,
        k: int,
        filters: Filter | None,
        score_threshold: float | None,
        then: Callable[[list[Hit]], T],
        *,
        infer_filters: bool = False,
    ) -> tuple[Retrieved, T]:
        """Top-k hits and `then(hits)`, run in the embedding batch's worker thread (one hop per request).

        With `infer_filters` and no explicit filter, a question naming companies is searched within their
        filings (and the fiscal year / form it names, when the index holds them).
        """
        index = self._index
        started = time.perf_counter()

        def finish(vector: np.ndarray) -> tuple[Retrieved, T]:
            embedded = time.perf_counter()
            inferred = index.infer_filter(query) if infer_filters and filters is None else None
            hits = index.search(query, k, filters or inferred, score_threshold, vector)
            searched = time.perf_counter()
            self._metrics.search_seconds.observe(searched - embedded)
            retrieved = Retrieved(hits, index.version, embedded - started, searched - embedded, inferred)
            return retrieved, then(hits)

        return await self._batcher.run(query, finish)

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
