"""Load: concurrent streaming clients against a gateway process with a synthetic upstream. 0 errors, every
stream ends in [DONE] with the exact token sequence; TTFT percentiles and RSS reported.

The short run is part of `make test`; the issue's 200 clients x 60 s run is marked `soak` (`make soak`)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from synthetic_upstream.testing import run_upstream

from reliability.gateway_process import GatewayProcess, running_gateway
from reliability.load_run import LoadReport, run_load
from reliability.sse_client import MODEL

TOKENS = 32
ITL_MS = 40
TTFT_MS = 50


@pytest.fixture
def load_gateway(gateway_defaults, log_dir) -> Iterator[GatewayProcess]:
    """A gateway and an upstream of its own, so nothing else shares their memory or CPU during the run."""
    with run_upstream(models=[MODEL], ttft_ms=TTFT_MS, itl_ms=ITL_MS, recorded_requests=0) as upstream:
        # generous timeouts: on a shared CI box a stream may wait for CPU, which is slowness, not failure
        settings = gateway_defaults(
            upstream.base_url, connect_timeout=10, ttft_timeout=240, total_timeout=300
        )
        with running_gateway(log_dir, **settings) as gateway:
            yield gateway


def publish(report: LoadReport, name: str) -> None:
    print("\n" + report.summary())
    target = os.environ.get("RELIABILITY_REPORT_DIR")
    if target:
        path = Path(target) / f"{name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps(
                {
                    "clients": report.clients,
                    "seconds": report.seconds,
                    "streams": report.streams,
                    "failures": len(report.failures),
                    "ttft_p50_ms": round(report.percentile(50) * 1000, 1),
                    "ttft_p95_ms": round(report.percentile(95) * 1000, 1),
                    "rss_first_mib": round(report.rss_window(0, 20) / 2**20, 1),
                    "rss_last_mib": round(
                        report.rss_window(report.seconds - 20, report.seconds + 1) / 2**20, 1
                    ),
                },
                indent=2,
            )
        )


def assert_clean(report: LoadReport) -> None:
    assert report.failures == [], (
        f"{len(report.failures)} of {report.streams} streams failed: {report.failures[:5]}"
    )
    assert report.streams >= report.clients, "not every client completed a stream"
    assert len(report.ttft_s) == report.streams


@pytest.mark.slow
async def test_50_streaming_clients_for_10_s(load_gateway):
    report = await run_load(load_gateway, clients=50, seconds=10, tokens=TOKENS)
    publish(report, "load-short")
    assert_clean(report)


@pytest.mark.soak
async def test_200_streaming_clients_for_60_s(load_gateway):
    clients = int(os.environ.get("SOAK_CLIENTS", "200"))
    seconds = float(os.environ.get("SOAK_SECONDS", "60"))
    report = await run_load(load_gateway, clients=clients, seconds=seconds, tokens=TOKENS)
    publish(report, "load-soak")
    assert_clean(report)
    window = min(20.0, seconds / 3)
    growth = report.rss_growth(window)
    assert growth < 0.10, f"gateway RSS grew {growth:.1%} from the first to the last {window:.0f} s"
