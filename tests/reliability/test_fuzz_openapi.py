"""Schemathesis against the gateway's /openapi.json: at least 1,000 generated cases (valid and invalid),
0 responses >= 500, and every error body in OpenAI's shape."""

from __future__ import annotations

import collections
import json
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from reliability.openai_shape import shape_problems
from reliability.sse_client import MODEL

MIN_CASES = 1000
# Examples per generation mode; operations without inputs produce a single case whatever the budget.
BUDGET = {
    "POST /v1/chat/completions": 300,
    "POST /v1/vector_stores/{vector_store_id}/search": 150,
    "POST /v1/embeddings": 100,
    "GET /v1/vector_stores/{vector_store_id}": 30,
}
DEFAULT_BUDGET = 20


@dataclass
class FuzzLog:
    """Statuses per operation and mode, plus every finding."""

    counts: collections.Counter[tuple[str, str, int]] = field(default_factory=collections.Counter)
    server_errors: list[str] = field(default_factory=list)
    bad_shapes: list[str] = field(default_factory=list)

    def record(self, label: str, mode: GenerationMode, case: Any, response: Any) -> None:
        self.counts[(label, mode.value, response.status_code)] += 1
        where = f"{label} [{mode.value}] {case.path_parameters} {str(case.body)[:300]}"
        if response.status_code >= 500:
            self.server_errors.append(f"{response.status_code} {where}: {response.text[:300]}")
        elif response.status_code >= 400:
            try:
                problems = shape_problems(response.json())
            except ValueError:
                problems = ["body is not JSON"]
            if problems:
                self.bad_shapes.append(f"{response.status_code} {where}: {problems} {response.text[:200]}")


def steer_towards_real_resources(case: Any, embedding_model: str) -> None:
    """Half the valid cases name the real model and store, so they reach retrieval and the upstream."""
    coin = zlib.crc32(json.dumps([case.path_parameters, case.query, case.body], default=str).encode()) % 2
    if coin and case.path_parameters and "vector_store_id" in case.path_parameters:
        case.path_parameters["vector_store_id"] = "sec-10k"
    if coin and isinstance(case.body, dict) and "model" in case.body:
        case.body["model"] = embedding_model if case.path.endswith("/embeddings") else MODEL


def fuzzer(
    operation: Any, mode: GenerationMode, examples: int, send: Callable[[Any], None]
) -> Callable[[], None]:
    """A Hypothesis test that sends `examples` generated cases of one operation and mode."""

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,  # the same cases every run: a finding is reproducible
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        send(case)

    return run


@pytest.mark.slow
def test_generated_requests_never_get_5xx_and_errors_are_openai_shaped(gateway, upstream, embedding_model):
    upstream.control.set_timing(ttft_ms=1, itl_ms=0, output_tokens=4)
    schema = schemathesis.openapi.from_url(gateway.url + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8, [f"{op.method} {op.path}" for op in operations]
    log = FuzzLog()
    started = time.monotonic()

    for operation in operations:
        label = f"{operation.method.upper()} {operation.path}"
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            def send(case: Any, label: str = label, mode: GenerationMode = mode) -> None:
                if mode is GenerationMode.POSITIVE:
                    steer_towards_real_resources(case, embedding_model)
                log.record(label, mode, case, case.call(base_url=gateway.url, timeout=30))

            try:
                fuzzer(operation, mode, BUDGET.get(label, DEFAULT_BUDGET), send)()
            except Unsatisfiable:
                # operations without parameters or body have no invalid variant to generate
                assert mode is GenerationMode.NEGATIVE, label
    # No time bound here: the case counts above bound the work, and the duration is reported below.

    total = sum(log.counts.values())
    print(f"\nschemathesis: {total} cases in {time.monotonic() - started:.0f} s")
    for (label, mode, status), n in sorted(log.counts.items()):
        print(f"  {n:5d}  {label} {mode} -> {status}")
    assert log.server_errors == [], f"{len(log.server_errors)} responses >= 500:\n" + "\n".join(
        log.server_errors[:10]
    )
    assert log.bad_shapes == [], f"{len(log.bad_shapes)} error bodies not in OpenAI's shape:\n" + "\n".join(
        log.bad_shapes[:10]
    )
    assert total >= MIN_CASES, f"only {total} generated cases"
    reached = {label for (label, _, status) in log.counts if status == 200}
    assert {"POST /v1/chat/completions", "POST /v1/vector_stores/{vector_store_id}/search"} <= reached
