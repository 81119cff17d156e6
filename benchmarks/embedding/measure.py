"""Timing of ``Embedder.embed_queries`` for single queries and micro-batches."""

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import partial

import numpy as np

BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64)


@dataclass(frozen=True, slots=True)
class BatchTiming:
    """Wall time of one encode call of ``batch`` queries."""

    batch: int
    p50_ms: float
    p95_ms: float
    per_query_ms: float


@dataclass(frozen=True, slots=True)
class BackendTiming:
    """Everything measured for one backend and thread setting."""

    backend: str
    threads: int | None
    load_s: float
    batches: list[BatchTiming]

    def burst_ms(self, burst: int) -> dict[str, float]:
        """Last-query wait for ``burst`` simultaneous queries: one by one vs one micro-batch."""
        by_size = {b.batch: b for b in self.batches}
        single = by_size[1].p50_ms
        batched = by_size.get(burst) or max(self.batches, key=lambda b: b.batch)
        rounds = -(-burst // batched.batch)
        return {"sequential_ms": burst * single, "micro_batched_ms": rounds * batched.p50_ms}

    def to_dict(self) -> dict[str, object]:
        """JSON-able form with the burst figures."""
        return {**asdict(self), "burst_64": self.burst_ms(64), "burst_16": self.burst_ms(16)}


def time_calls(call: Callable[[], object], repeats: int) -> list[float]:
    """Wall seconds of ``repeats`` calls."""
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def time_batches(
    embed: Callable[[list[str]], object], queries: Sequence[str], sizes: Sequence[int], budget_s: float
) -> list[BatchTiming]:
    """p50/p95 per batch size, repeating each for about ``budget_s`` (at least 5 times)."""
    timings = []
    for size in sizes:
        probe = time_calls(partial(embed, list(queries[:size])), 2)
        repeats = max(5, min(200, int(budget_s / max(min(probe), 1e-4))))
        offsets = range(0, repeats)
        samples = []
        for offset in offsets:
            batch = [queries[(offset * size + i) % len(queries)] for i in range(size)]
            samples += time_calls(partial(embed, batch), 1)
        p50, p95 = (float(v) * 1000 for v in np.percentile(samples, (50, 95)))
        timings.append(BatchTiming(size, p50, p95, p50 / size))
    return timings
