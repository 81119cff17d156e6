"""Embed each file's new chunks in a background thread while the parse workers still read the others."""

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType

import numpy as np
from retriever.embedder import Embedder
from retriever.embedding.cache import EmbeddingCache
from retriever.ingest import ChunkRecord
from tqdm import tqdm

logger = logging.getLogger(__name__)


class EmbeddingPipeline:
    """Vectors by content hash: known ones reused, cached ones read, the rest embedded in the background.

    On 2 cores the parse workers and the encoder's threads share the CPU: a cold 20-filing build used to
    parse for ~75 s with the encoder idle, then embed with the parse workers gone. Queued per file, the
    encoder starts with the first parsed file and fills whatever CPU the parsing leaves.
    """

    def __init__(
        self,
        embedder: Embedder,
        known: dict[str, np.ndarray],
        cache: EmbeddingCache | None,
        *,
        show_progress: bool = False,
        on_embed: Callable[[int], None] | None = None,
        overlap: bool = True,
    ) -> None:
        self._embedder = embedder
        # overlap=False embeds everything in one call once parsing is done (the previous behaviour, kept
        # to measure the overlap against).
        self._overlap = overlap
        self._deferred: dict[str, str] = {}
        self._vectors = dict(known)
        self._cache = cache
        self._on_embed = on_embed
        self._queued: set[str] = set()
        self._futures: list[Future[tuple[list[str], np.ndarray]]] = []
        # One group at a time: the encoder itself runs its batches on every core.
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embed")
        self._bar = tqdm(desc="embedding", unit="chunk", disable=not show_progress)
        self.embedded = 0
        self.busy_s = 0.0
        self._first_started: float | None = None
        self._last_finished: float | None = None

    def __enter__(self) -> "EmbeddingPipeline":
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._bar.close()

    def submit(self, records: Iterable[ChunkRecord]) -> None:
        """Queue the records whose vectors are neither known, cached nor already queued."""
        fresh: dict[str, str] = {}
        for record in records:
            digest = record.content_hash
            if digest not in self._vectors and digest not in self._queued:
                fresh.setdefault(digest, record.embed_text)
        if self._cache is not None and fresh:
            cached = self._cache.get_many(list(fresh))
            self._vectors.update(cached)
            fresh = {h: t for h, t in fresh.items() if h not in cached}
        if not fresh:
            return
        self._queued.update(fresh)
        if not self._overlap:
            self._deferred.update(fresh)
            return
        self._queue(fresh)

    def _queue(self, fresh: dict[str, str]) -> None:
        if self._on_embed is not None:
            self._on_embed(len(fresh))
        self._futures.append(self._pool.submit(self._embed, list(fresh), list(fresh.values())))

    def _embed(self, hashes: list[str], texts: list[str]) -> tuple[list[str], np.ndarray]:
        started = time.perf_counter()
        if self._first_started is None:
            self._first_started = started
        vectors = self._embedder.embed_documents(texts)
        if self._cache is not None:
            self._cache.put_many(hashes, vectors)
        self._last_finished = time.perf_counter()
        self.busy_s += self._last_finished - started
        self._bar.update(len(hashes))
        return hashes, vectors

    def vectors(self, hashes: Sequence[str]) -> np.ndarray:
        """Wait for every queued group; float32 (len(hashes), d) in the order given."""
        if self._deferred:
            self._queue(self._deferred)
            self._deferred = {}
        for future in self._futures:
            done, vectors = future.result()
            self._vectors.update(zip(done, vectors, strict=True))
            self.embedded += len(done)
        self._futures.clear()
        if not hashes:
            return np.zeros((0, self._embedder.dimension), dtype=np.float32)
        return np.stack([self._vectors[h] for h in hashes]).astype(np.float32)

    @property
    def span_s(self) -> float:
        """Wall time from the first group's start to the last group's end (0 when nothing was embedded)."""
        if self._first_started is None or self._last_finished is None:
            return 0.0
        return self._last_finished - self._first_started
