"""Repeated timing of one step: wall min/p50/p95 and CPU per call."""

import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class StepTiming:
    """Milliseconds per call of one step."""

    step: str
    calls: int
    min_ms: float
    p50_ms: float
    p95_ms: float
    cpu_ms: float

    def to_dict(self) -> dict[str, object]:
        """JSON-able form."""
        return asdict(self)


def _summarise(step: str, walls: list[float], cpu_s: float) -> StepTiming:
    p50, p95 = np.percentile(walls, (50, 95))
    return StepTiming(
        step, len(walls), 1000 * min(walls), 1000 * float(p50), 1000 * float(p95), 1000 * cpu_s / len(walls)
    )


def time_sync(step: str, calls: list[Callable[[], object]]) -> StepTiming:
    """Time each call once, in order."""
    walls = []
    cpu0 = time.process_time()
    for call in calls:
        started = time.perf_counter()
        call()
        walls.append(time.perf_counter() - started)
    return _summarise(step, walls, time.process_time() - cpu0)


async def time_async(step: str, calls: list[Callable[[], Awaitable[object]]]) -> StepTiming:
    """Await each call once, in order."""
    walls = []
    cpu0 = time.process_time()
    for call in calls:
        started = time.perf_counter()
        await call()
        walls.append(time.perf_counter() - started)
    return _summarise(step, walls, time.process_time() - cpu0)
