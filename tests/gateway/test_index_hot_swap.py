"""A new index version is swapped in while streams run; later responses report it."""

import json
import shutil
import threading
import time

import httpx
import pytest
from conftest import FILINGS, MODEL, build_index


def run_streams(url: str, stop: threading.Event, outcomes: list[str]) -> None:
    body = {
        "model": MODEL,
        "messages": [{"role": "user", "content": "data center revenue"}],
        "max_tokens": 20,
        "stream": True,
    }
    with httpx.Client(timeout=30) as http:
        while not stop.is_set():
            with http.stream("POST", url + "/chat/completions", json=body) as response:
                events = [line[6:] for line in response.iter_lines() if line.startswith("data: ")]
            ok = response.status_code == 200 and events[-1] == "[DONE]" and '"error"' not in events[-2]
            outcomes.append("ok" if ok else f"failed {response.status_code} {events[-2:]}")


@pytest.mark.slow
def test_hot_swap_under_streams_loses_nothing(make_gateway, index_root, embedder, upstream, tmp_path):
    root = tmp_path / "index"
    shutil.copytree(index_root, root, symlinks=True)
    gateway = make_gateway(index_dir=root, index_poll_interval=0.1)
    upstream.control.set_timing(itl_ms=10)
    before = httpx.post(
        gateway.base_url + "/chat/completions",
        timeout=30,
        json={"model": MODEL, "messages": [{"role": "user", "content": "revenue"}], "max_tokens": 1},
    )
    old_version = before.headers["x-rag-index-version"]

    stop, outcomes = threading.Event(), []
    workers = [
        threading.Thread(target=run_streams, args=(gateway.base_url, stop, outcomes)) for _ in range(8)
    ]
    for worker in workers:
        worker.start()
    time.sleep(0.5)
    build_index(embedder, root, FILINGS[:1])  # AAPL only: a new version that reuses the stored vectors
    deadline = time.monotonic() + 15
    new_version = old_version
    while new_version == old_version and time.monotonic() < deadline:
        time.sleep(0.1)
        probe = httpx.get(gateway.base_url + "/vector_stores/sec-10k", timeout=30).json()
        new_version = probe["metadata"]["index_version"]
    time.sleep(0.5)
    stop.set()
    for worker in workers:
        worker.join(timeout=30)

    assert new_version != old_version
    assert outcomes and all(outcome == "ok" for outcome in outcomes), outcomes
    after = httpx.post(
        gateway.base_url + "/chat/completions",
        timeout=30,
        json={
            "model": MODEL,
            "messages": [{"role": "user", "content": "revenue"}],
            "max_tokens": 1,
            "rag": {"filters": {"type": "eq", "key": "ticker", "value": "NVDA"}},
        },
    )
    assert after.headers["x-rag-index-version"] == new_version
    body = after.json()
    assert body["system_fingerprint"] == f"rag-index-{new_version}"
    assert body["sources"] == []  # NVDA is not in the new version
    metrics = httpx.get(gateway.url + "/metrics", timeout=30).text
    assert "rag_gateway_index_swaps_total 1.0" in metrics
    assert json.loads(json.dumps(outcomes))
