"""Micro-batching of concurrent queries: embed a batch, then finish each query, in one worker-thread hop."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np

from gateway.metrics import Metrics

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class _Job(Generic[T]):
    text: str
    finish: Callable[[np.ndarray], T]
    future: asyncio.Future[T]


class QueryBatcher:
    """Collects queries, embeds them together and runs each one's `finish(vector)` in the same thread call.

    Up to `concurrency` batches run at once in `executor` (default: the event loop's default executor).

    Never waits on a timer: a batch holds whatever queued while the running ones worked. One hop per batch
    (instead of one for embedding plus one per query for search and prompt fitting) keeps thread hand-offs
    off the event loop's core.
    """

    def __init__(
        self,
        embed: Callable[[list[str]], np.ndarray],
        max_batch: int,
        metrics: Metrics,
        executor: Executor | None = None,
        concurrency: int = 1,
    ) -> None:
        self._embed = embed
        self._executor = executor
        self._max_batch = max_batch
        self._concurrency = concurrency
        self._metrics = metrics
        self._pending: list[_Job[Any]] = []
        self._drains: list[asyncio.Task[None]] = []

    async def run(self, text: str, finish: Callable[[np.ndarray], T]) -> T:
        """`finish(vector)` for the query vector (1-d, float32) of `text`, computed in a worker thread."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._pending.append(_Job(text, finish, future))
        # done() turns true as soon as a drain's loop ends; a done-callback would only run a loop turn later
        # and could leave this job with no drain to pick it up.
        self._drains = [task for task in self._drains if not task.done()]
        if len(self._drains) < self._concurrency:
            self._drains.append(asyncio.create_task(self._drain()))
        return await future

    async def _drain(self) -> None:
        while self._pending:
            batch = self._pending[: self._max_batch]
            del self._pending[: self._max_batch]
            live = [job for job in batch if not job.future.cancelled()]
            if not live:
                continue
            outcomes = await asyncio.get_running_loop().run_in_executor(self._executor, self._process, live)
            for job, (ok, value) in zip(live, outcomes, strict=True):
                if job.future.done():
                    continue
                if ok:
                    job.future.set_result(value)
                else:
                    job.future.set_exception(value)

    def _process(self, jobs: list[_Job[Any]]) -> list[tuple[bool, Any]]:
        """Runs in the worker thread; failures are returned per job, each request turns its own into a 500."""
        started = time.perf_counter()
        try:
            vectors = self._embed([job.text for job in jobs])
        except Exception as exc:  # handed to every waiting request
            return [(False, exc)] * len(jobs)
        self._metrics.embed_seconds.observe(time.perf_counter() - started)
        self._metrics.embed_batch_size.observe(len(jobs))
        outcomes: list[tuple[bool, Any]] = []
        for row, job in enumerate(jobs):
            try:
                outcomes.append((True, job.finish(vectors[row])))
            except Exception as exc:  # only this query's request fails
                outcomes.append((False, exc))
        return outcomes
