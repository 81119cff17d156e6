"""The load generator and the overhead harness run end to end against synthetic upstreams (the harness is
under test here, not the gateway)."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from synthetic_upstream.testing import RunningUpstream, run_upstream

from benchmarks.__main__ import main

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def upstreams() -> Iterator[tuple[RunningUpstream, RunningUpstream]]:
    settings = {"ttft_ms": 20, "itl_ms": 2, "recorded_requests": 0}
    with run_upstream(**settings) as first, run_upstream(**settings) as second:
        yield first, second


def test_load_sweep_writes_json_table_and_plots(
    upstreams: tuple[RunningUpstream, RunningUpstream], tmp_path: Path
) -> None:
    upstream = upstreams[0]
    main(
        ["load", "--base-url", upstream.base_url, "--concurrency", "1,4", "--requests-per-worker", "2",
         "--min-requests", "4", "--max-tokens", "8", "--prompts", "fqa10k", "--check-sequence",
         "--no-progress", "--out", str(tmp_path), "--label", "smoke"]
    )  # fmt: skip
    data = json.loads((tmp_path / "smoke.json").read_text())
    assert [run["concurrency"] for run in data["runs"]] == [1, 4]
    assert all(run["failed"] == 0 and run["completed"] >= 4 for run in data["runs"])
    assert data["runs"][1]["ttft_s"]["p50"] >= 0.02
    assert data["machine"]["cores"] >= 1
    assert "| 4 |" in (tmp_path / "smoke.md").read_text()
    assert (tmp_path / "smoke_ttft.png").stat().st_size > 0
    assert (tmp_path / "smoke_throughput.png").stat().st_size > 0


def test_overhead_harness_compares_two_servers_and_reports_the_verdict(
    upstreams: tuple[RunningUpstream, RunningUpstream], tmp_path: Path
) -> None:
    """The harness, not the gateway: its "gateway" arm is a second synthetic upstream standing in for one.

    The gateway's own overhead is measured by `make bench` against the real gateway; here the point is that
    the harness runs both arms, computes the ratios and writes each concurrency's verdict in JSON and table.
    """
    direct, stand_in = upstreams
    main(
        ["overhead", "--upstream-url", direct.base_url, "--gateway-url", stand_in.base_url,
         "--concurrency", "2,4", "--rounds", "2", "--requests-per-worker", "2", "--min-requests", "4",
         "--max-tokens", "8", "--no-progress", "--out", str(tmp_path), "--label", "ovh"]
    )  # fmt: skip
    data = json.loads((tmp_path / "ovh.json").read_text())
    ratio = data["ratios"]["gateway"]["4"]
    assert ratio["ttft_p50_ratio"] > 0
    assert data["arms"]["gateway"]["4"]["pooled"]["failed"] == 0
    assert len(data["arms"]["direct"]["4"]["rounds"]) == 2
    # the verdict of each level, in the JSON and in the last column of that level's table row
    report = (tmp_path / "ovh.md").read_text()
    table = report[report.index("| meets targets |") :]  # the ratio table, not the per-arm one above it
    for concurrency in ("2", "4"):
        verdict = data["ratios"]["gateway"][concurrency]["meets_targets"]
        assert isinstance(verdict, bool)
        rows = [line for line in table.splitlines() if line.startswith(f"| {concurrency} | gateway |")]
        assert len(rows) == 1, table
        assert rows[0].rstrip(" |").rsplit("|", 1)[-1].strip() == ("yes" if verdict else "no")
