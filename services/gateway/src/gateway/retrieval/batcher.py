"""Micro-batching of concurrent query embeddings: requests arriving while a batch runs share the next one."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import numpy as np

from gateway.metrics import Metrics

logger = logging.getLogger(__name__)


class QueryBatcher:
    """Collects queries and embeds them in one worker-thread call per batch, never waiting on a timer."""

    def __init__(self, embed: Callable[[list[str]], np.ndarray], max_batch: int, metrics: Metrics) -> None:
        self._embed = embed
        self._max_batch = max_batch
        self._metrics = metrics
        self._pending: list[tuple[str, asyncio.Future[np.ndarray]]] = []
        self._worker: asyncio.Task[None] | None = None

    async def embed(self, text: str) -> np.ndarray:
        """The query vector (1-d, float32) for `text`."""
        future: asyncio.Future[np.ndarray] = asyncio.get_running_loop().create_future()
        self._pending.append((text, future))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._pending:
            batch = self._pending[: self._max_batch]
            del self._pending[: self._max_batch]
            live = [(text, future) for text, future in batch if not future.cancelled()]
            if not live:
                continue
            started = time.perf_counter()
            try:
                vectors = await asyncio.to_thread(self._embed, [text for text, _ in live])
            except Exception as exc:  # handed to every waiting request, which turns it into a 500
                for _, future in live:
                    if not future.done():
                        future.set_exception(exc)
                continue
            self._metrics.embed_seconds.observe(time.perf_counter() - started)
            self._metrics.embed_batch_size.observe(len(live))
            for row, (_, future) in enumerate(live):
                if not future.done():
                    future.set_result(vectors[row])
