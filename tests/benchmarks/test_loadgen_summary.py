"""Aggregation of per-request results."""

import pytest

from benchmarks.loadgen.request import RequestResult, RequestSpec
from benchmarks.loadgen.summary import Distribution, steady_window, summarise
from benchmarks.overhead.compare import meets_targets, ratios


def _result(worker: int, started: float, latency: float, ttft: float = 0.2) -> RequestResult:
    return RequestResult(started, latency, ttft_s=ttft, tpot_s=0.02, output_tokens=10, worker=worker)


def test_distribution_percentiles() -> None:
    d = Distribution.of([float(v) for v in range(1, 101)])
    assert (d.count, d.p50, d.mean) == (100, pytest.approx(50.5), pytest.approx(50.5))
    assert Distribution.of([]).p95 is None


def test_steady_window_spans_the_time_every_worker_is_busy() -> None:
    results = [_result(0, 0.0, 1.0), _result(0, 1.0, 1.0), _result(1, 0.5, 1.0), _result(1, 1.5, 1.5)]
    assert steady_window(results) == (0.5, 2.0)


def test_summarise_counts_failures_and_rates() -> None:
    results = [
        _result(0, 0.0, 1.0),
        _result(0, 1.0, 1.0),
        RequestResult(2.0, 0.1, error="APIConnectionError"),
    ]
    summary = summarise([results], concurrency=1, wall_s=2.0, cpu_s=0.5)
    assert (summary.completed, summary.failed, summary.errors) == (2, 1, {"APIConnectionError": 1})
    assert summary.requests_per_s == 1.0
    assert summary.output_tokens_per_s == 10.0
    assert summary.client_cpu_util == 0.25


def test_bad_token_sequence_counts_as_failure() -> None:
    bad = RequestResult(0.0, 1.0, ttft_s=0.1, output_tokens=3, sequence_ok=False)
    assert summarise([[bad]], 1, 1.0, 0.0).errors == {"BadTokenSequence": 1}


def test_ratios_against_targets() -> None:
    direct = summarise([[_result(0, 0.0, 1.0, ttft=0.200)]], 1, 1.0, 0.0)
    gateway = summarise([[_result(0, 0.0, 1.0, ttft=0.205)]], 1, 1.0, 0.0)
    r = ratios(direct, gateway)
    assert r["ttft_p50_ratio"] == pytest.approx(1.025)
    assert r["ttft_p50_delta_ms"] == pytest.approx(5.0)
    assert meets_targets(r)


def test_rag_switch_goes_into_extra_body() -> None:
    assert RequestSpec("m", rag=False).body_extras() == {"rag": {"enabled": False}}
    assert RequestSpec("m").body_extras() is None
