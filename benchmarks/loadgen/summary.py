"""Per-run aggregates: rates and p50/p95/p99 of each per-request figure."""

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from benchmarks.loadgen.request import RequestResult

PERCENTILES = (50, 95, 99)


@dataclass(frozen=True, slots=True)
class Distribution:
    """Mean and percentiles of one figure (seconds or tokens)."""

    count: int
    mean: float | None
    p50: float | None
    p95: float | None
    p99: float | None

    @classmethod
    def of(cls, values: Sequence[float]) -> "Distribution":
        """Summarise ``values`` (all ``None`` when empty)."""
        if not values:
            return cls(0, None, None, None, None)
        p50, p95, p99 = (float(v) for v in np.percentile(values, PERCENTILES))
        return cls(len(values), float(np.mean(values)), p50, p95, p99)


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One run at one concurrency against one target."""

    concurrency: int
    requests: int
    completed: int
    failed: int
    wall_s: float
    requests_per_s: float
    output_tokens_per_s: float
    steady_window_s: float
    steady_requests_per_s: float | None
    steady_output_tokens_per_s: float | None
    ttft_s: Distribution
    tpot_s: Distribution
    latency_s: Distribution
    output_tokens: Distribution
    errors: dict[str, int]
    client_cpu_util: float

    def to_dict(self) -> dict[str, object]:
        """JSON-able form."""
        return asdict(self)


def steady_window(results: Sequence[RequestResult]) -> tuple[float, float] | None:
    """From the last worker's first start to the first worker's last end: every worker is busy in between."""
    first_start: dict[int, float] = {}
    last_end: dict[int, float] = {}
    for r in results:
        first_start[r.worker] = min(first_start.get(r.worker, r.started), r.started)
        last_end[r.worker] = max(last_end.get(r.worker, r.ended), r.ended)
    if not results:
        return None
    begin, end = max(first_start.values()), min(last_end.values())
    return (begin, end) if end > begin else None


def summarise(
    segments: Sequence[Sequence[RequestResult]], concurrency: int, wall_s: float, cpu_s: float
) -> RunSummary:
    """Aggregate one or more runs (``segments``) that took ``wall_s`` and ``cpu_s`` of client CPU in all."""
    results = [r for segment in segments for r in segment]
    good = [r for r in results if r.ok]
    in_window: list[RequestResult] = []
    window_s = 0.0
    for segment in segments:
        window = steady_window(segment)
        if window is not None:
            window_s += window[1] - window[0]
            in_window += [r for r in segment if r.ok and window[0] <= r.ended <= window[1]]
    errors = Counter(r.error or "BadTokenSequence" for r in results if not r.ok)
    return RunSummary(
        concurrency=concurrency,
        requests=len(results),
        completed=len(good),
        failed=len(results) - len(good),
        wall_s=wall_s,
        requests_per_s=len(good) / wall_s if wall_s else 0.0,
        output_tokens_per_s=sum(r.output_tokens for r in good) / wall_s if wall_s else 0.0,
        steady_window_s=window_s,
        steady_requests_per_s=len(in_window) / window_s if window_s else None,
        steady_output_tokens_per_s=sum(r.output_tokens for r in in_window) / window_s if window_s else None,
        ttft_s=Distribution.of([r.ttft_s for r in good if r.ttft_s is not None]),
        tpot_s=Distribution.of([r.tpot_s for r in good if r.tpot_s is not None]),
        latency_s=Distribution.of([r.latency_s for r in good]),
        output_tokens=Distribution.of([float(r.output_tokens) for r in good]),
        errors=dict(errors),
        client_cpu_util=cpu_s / wall_s if wall_s else 0.0,
    )
