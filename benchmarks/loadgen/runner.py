"""Closed-loop load at a fixed concurrency, and sweeps over concurrency levels."""

import asyncio
import itertools
import logging
import statistics
import time
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field

from openai import AsyncOpenAI
from tqdm import tqdm

from benchmarks.loadgen.request import RequestResult, RequestSpec, measure_request
from benchmarks.loadgen.summary import RunSummary, summarise

logger = logging.getLogger(__name__)


def make_client(base_url: str, api_key: str, timeout_s: float = 120.0) -> AsyncOpenAI:
    """One pooled SDK client per target, without retries so errors are counted, not hidden."""
    return AsyncOpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=timeout_s)


async def run_requests(
    client: AsyncOpenAI,
    spec: RequestSpec,
    prompts: Sequence[str],
    concurrency: int,
    n_requests: int,
    progress: tqdm | None = None,
    ramp_s: float = 0.0,
) -> list[RequestResult]:
    """``n_requests`` requests through ``concurrency`` workers, each sending back to back.

    Worker ``i`` starts after ``i * ramp_s / concurrency`` so arrivals spread out instead of coming in waves.
    """
    counter = itertools.count()
    results: list[RequestResult] = []

    async def worker(worker_id: int, offset_s: float) -> None:
        if offset_s:
            await asyncio.sleep(offset_s)
        while (index := next(counter)) < n_requests:
            result = await measure_request(client, spec, prompts[index % len(prompts)])
            result.worker = worker_id
            results.append(result)
            if progress is not None:
                progress.update(1)

    await asyncio.gather(*(worker(i, i * ramp_s / concurrency) for i in range(concurrency)))
    return results


@dataclass(slots=True)
class Run:
    """Raw results of one or more measured runs, with their wall and client-CPU seconds."""

    concurrency: int
    segments: list[list[RequestResult]] = field(default_factory=list)
    wall_s: float = 0.0
    cpu_s: float = 0.0

    def extend(self, other: "Run") -> None:
        """Pool another run at the same concurrency into this one."""
        self.segments += other.segments
        self.wall_s += other.wall_s
        self.cpu_s += other.cpu_s

    def summary(self) -> RunSummary:
        """Aggregates of the pooled results."""
        return summarise(self.segments, self.concurrency, self.wall_s, self.cpu_s)


async def measure_run(
    client: AsyncOpenAI,
    spec: RequestSpec,
    prompts: Sequence[str],
    concurrency: int,
    n_requests: int,
    label: str = "",
    show_progress: bool = True,
    ramp_s: float = 0.0,
) -> Run:
    """One measured run at ``concurrency``, timed in wall and client-CPU seconds."""
    bar = tqdm(total=n_requests, desc=f"{label} c={concurrency}", leave=False) if show_progress else None
    with bar if bar is not None else nullcontext():
        cpu0, wall0 = time.process_time(), time.perf_counter()
        results = await run_requests(client, spec, prompts, concurrency, n_requests, bar, ramp_s)
        run = Run(concurrency, [results], time.perf_counter() - wall0, time.process_time() - cpu0)
    summary = run.summary()
    logger.info(
        "%s c=%d: %.2f req/s (steady %.2f), TTFT p50 %.1f ms p95 %.1f ms, %d failed, client CPU %.0f%%",
        label,
        concurrency,
        summary.requests_per_s,
        summary.steady_requests_per_s or 0.0,
        1000 * (summary.ttft_s.p50 or 0.0),
        1000 * (summary.ttft_s.p95 or 0.0),
        summary.failed,
        100 * summary.client_cpu_util,
    )
    return run


async def warm_up(client: AsyncOpenAI, spec: RequestSpec, prompts: Sequence[str], concurrency: int) -> float:
    """One unmeasured wave, so connections are open and caches warm; returns its median latency in s."""
    results = await run_requests(client, spec, prompts, concurrency, concurrency)
    failed = [r.error for r in results if not r.ok]
    if len(failed) == len(results):
        raise RuntimeError(f"warm-up at c={concurrency}: every request failed, e.g. {failed[0]}")
    if failed:
        logger.warning(
            "warm-up at c=%d: %d of %d failed (%s)", concurrency, len(failed), len(results), failed[0]
        )
    return statistics.median(r.latency_s for r in results)


def requests_for(concurrency: int, per_worker: int, minimum: int) -> int:
    """Requests in a run: ``per_worker`` per worker, at least ``minimum``."""
    return max(concurrency * per_worker, minimum)
