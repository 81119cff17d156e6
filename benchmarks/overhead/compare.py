"""Alternating measurement of several arms (direct, gateway, ...) and their ratios to the direct arm."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from openai import AsyncOpenAI

from benchmarks.loadgen.request import RequestSpec
from benchmarks.loadgen.runner import Run, measure_run, requests_for, warm_up
from benchmarks.loadgen.summary import RunSummary
from benchmarks.overhead.gateway_metrics import breakdown, scrape
from benchmarks.overhead.processes import ServerProcess

logger = logging.getLogger(__name__)

TARGETS = {"ttft_p50_ratio_max": 1.05, "ttft_p95_ratio_max": 1.10, "rps_ratio_min": 0.95}


@dataclass
class Arm:
    """One way of sending the load: a client, what each request carries, and its measurements."""

    name: str
    client: AsyncOpenAI
    spec: RequestSpec
    gateway_root: str | None = None
    gateway_process: str = "gateway"
    runs: dict[int, Run] = field(default_factory=dict)
    rounds: dict[int, list[RunSummary]] = field(default_factory=dict)
    server_cpu_s: dict[int, dict[str, float]] = field(default_factory=dict)
    gateway_breakdown: dict[int, list[dict[str, float | None]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Options:
    """How much load per level."""

    levels: Sequence[int]
    rounds: int = 3
    requests_per_worker: int = 3
    min_requests: int = 32
    show_progress: bool = True


async def measure_arms(
    arms: Sequence[Arm], prompts: Sequence[str], options: Options, servers: Sequence[ServerProcess]
) -> None:
    """Per level: warm every arm up, then ``rounds`` rounds in ABBA order so drift hits all arms alike."""
    for level in options.levels:
        ramps = {arm.name: await warm_up(arm.client, arm.spec, prompts, level) for arm in arms}
        n = requests_for(level, options.requests_per_worker, options.min_requests)
        for round_index in range(options.rounds):
            order = arms if round_index % 2 == 0 else list(reversed(arms))
            # fresh questions each round (same for every arm), so no cache in the gateway sees repeats
            start = (round_index * n) % len(prompts)
            round_prompts = [*prompts[start:], *prompts[:start]]
            for arm in order:
                metrics_before = scrape(arm.gateway_root) if arm.gateway_root else {}
                before = {s.name: s.cpu_seconds() for s in servers}
                run = await measure_run(
                    arm.client,
                    arm.spec,
                    round_prompts,
                    level,
                    n,
                    f"{arm.name} r{round_index}",
                    options.show_progress,
                    ramps[arm.name],
                )
                used = {s.name: s.cpu_seconds() - before[s.name] for s in servers}
                _pool(arm, level, run, used)
                if arm.gateway_root:
                    split = breakdown(metrics_before, scrape(arm.gateway_root))
                    arm.gateway_breakdown.setdefault(level, []).append(split)


def _pool(arm: Arm, level: int, run: Run, cpu_s: dict[str, float]) -> None:
    arm.rounds.setdefault(level, []).append(run.summary())
    arm.runs.setdefault(level, Run(level)).extend(run)
    totals = arm.server_cpu_s.setdefault(level, {})
    for name, seconds in cpu_s.items():
        totals[name] = totals.get(name, 0.0) + seconds


def cpu_costs(arm: Arm, level: int) -> dict[str, dict[str, float]]:
    """Per process (client included): share of a core while measuring, and CPU ms per completed request."""
    run = arm.runs[level]
    completed = max(run.summary().completed, 1)
    costs = {"client": {"util": run.cpu_s / run.wall_s, "ms_per_request": 1000 * run.cpu_s / completed}}
    for name, seconds in arm.server_cpu_s.get(level, {}).items():
        costs[name] = {"util": seconds / run.wall_s, "ms_per_request": 1000 * seconds / completed}
    return costs


def ratios(direct: RunSummary, other: RunSummary) -> dict[str, float | None]:
    """TTFT p50/p95/p99 and req/s of ``other`` relative to ``direct``, plus absolute TTFT deltas in ms."""

    def ratio(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None or b == 0 else a / b

    def delta_ms(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None else 1000 * (a - b)

    return {
        "ttft_p50_ratio": ratio(other.ttft_s.p50, direct.ttft_s.p50),
        "ttft_p95_ratio": ratio(other.ttft_s.p95, direct.ttft_s.p95),
        "ttft_p99_ratio": ratio(other.ttft_s.p99, direct.ttft_s.p99),
        "rps_ratio": ratio(other.requests_per_s, direct.requests_per_s),
        "steady_rps_ratio": ratio(other.steady_requests_per_s, direct.steady_requests_per_s),
        "ttft_p50_delta_ms": delta_ms(other.ttft_s.p50, direct.ttft_s.p50),
        "ttft_p95_delta_ms": delta_ms(other.ttft_s.p95, direct.ttft_s.p95),
    }


def meets_targets(r: dict[str, float | None]) -> bool:
    """True when every ratio is within the issue's targets."""
    p50, p95, rps = r["ttft_p50_ratio"], r["ttft_p95_ratio"], r["rps_ratio"]
    return (
        p50 is not None
        and p95 is not None
        and rps is not None
        and p50 <= TARGETS["ttft_p50_ratio_max"]
        and p95 <= TARGETS["ttft_p95_ratio_max"]
        and rps >= TARGETS["rps_ratio_min"]
    )
