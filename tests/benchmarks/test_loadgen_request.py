"""One measured request in both client modes, including failures, against a real synthetic upstream."""

from collections.abc import Iterator

import pytest
from synthetic_upstream.testing import RunningUpstream, run_upstream

from benchmarks.loadgen.request import RequestSpec, measure_request
from benchmarks.loadgen.runner import make_client

MODES = ["parsed", "lines"]


@pytest.fixture(scope="module")
def upstream() -> Iterator[RunningUpstream]:
    with run_upstream(ttft_ms=30, itl_ms=5, recorded_requests=0) as running:
        yield running


@pytest.fixture(autouse=True)
def _reset(upstream: RunningUpstream) -> None:
    upstream.control.reset()


@pytest.mark.parametrize("mode", MODES)
async def test_timings_and_tokens(upstream: RunningUpstream, mode: str) -> None:
    spec = RequestSpec("synthetic-model", max_tokens=10, check_sequence=True, client_mode=mode)  # type: ignore[arg-type]
    async with make_client(upstream.base_url, "unused") as client:
        result = await measure_request(client, spec, "What was revenue?")
    assert result.ok, result.error
    assert result.output_tokens == 10
    assert result.sequence_ok is True
    assert result.ttft_s is not None and result.ttft_s >= 0.03
    assert result.tpot_s is not None and result.tpot_s >= 0


@pytest.mark.parametrize("mode", MODES)
async def test_http_error_is_recorded(upstream: RunningUpstream, mode: str) -> None:
    upstream.control.set_faults(fail_next=1, fail_status=503)
    spec = RequestSpec("synthetic-model", max_tokens=4, client_mode=mode)  # type: ignore[arg-type]
    async with make_client(upstream.base_url, "unused") as client:
        result = await measure_request(client, spec, "q")
    assert result.error is not None and "503" in result.error


@pytest.mark.parametrize("mode", MODES)
async def test_dropped_stream_is_an_error(upstream: RunningUpstream, mode: str) -> None:
    upstream.control.set_faults(drop_after_tokens=2, drop_count=1)
    spec = RequestSpec("synthetic-model", max_tokens=8, check_sequence=True, client_mode=mode)  # type: ignore[arg-type]
    async with make_client(upstream.base_url, "unused") as client:
        result = await measure_request(client, spec, "q")
    assert not result.ok
