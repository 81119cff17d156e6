"""A new index version is swapped in while streams run; later responses report it."""

import json
import logging
import os
import shutil
import threading
import time

import httpx
import pytest
from conftest import FILINGS, MODEL, build_index
from support.polling import wait_until

SERVICE_LOGGER = "gateway.retrieval.service"


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


def served_version(gateway) -> str:
    """The index version a fresh chat request is answered from."""
    response = httpx.post(
        gateway.base_url + "/chat/completions",
        timeout=30,
        json={"model": MODEL, "messages": [{"role": "user", "content": "revenue"}], "max_tokens": 1},
    )
    assert response.status_code == 200, response.text
    return response.headers["x-rag-index-version"]


def point_current_at(root, version_dir) -> None:
    """Move the `current` pointer the way a publish does (a new symlink renamed over the old one)."""
    staged = root / "current.new"
    staged.unlink(missing_ok=True)
    staged.symlink_to(os.path.relpath(version_dir, root))
    staged.replace(root / "current")


def publish_copy(root, source, name: str):
    """A copy of the version folder `source` as versions/<name> (its manifest says so), not yet pointed at."""
    copy = root / "versions" / name
    shutil.copytree(source, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["version"] = name
    (copy / "manifest.json").write_text(json.dumps(manifest))
    return copy


def test_broken_new_version_is_logged_and_ignored(make_gateway, index_root, upstream, tmp_path, caplog):
    root = tmp_path / "index"
    shutil.copytree(index_root, root, symlinks=True)
    gateway = make_gateway(index_dir=root, index_poll_interval=0.05)
    old_version, original = served_version(gateway), (root / "current").resolve()
    broken = publish_copy(root, original, "broken0000000000")
    (broken / "index.faiss").write_bytes(b"this is not a faiss index\x00" * 20)

    with caplog.at_level(logging.ERROR, logger=SERVICE_LOGGER):
        point_current_at(root, broken)
        record = wait_until(
            lambda: next((r for r in caplog.records if "broken0000000000" in r.getMessage()), None),
            what="the broken version to be reported",
        )
    assert record.levelno == logging.ERROR
    assert f"keeping {old_version}" in record.getMessage()
    assert served_version(gateway) == old_version
    ready = httpx.get(gateway.url + "/ready", timeout=30)
    assert ready.status_code == 200 and ready.json()["index"]["version"] == old_version

    # Once a good version is published, the watcher (still polling) swaps it in.
    good = publish_copy(root, original, "good000000000000")
    point_current_at(root, good)
    wait_until(lambda: served_version(gateway) == "good000000000000", what="the good version to be served")


def test_watch_keeps_polling_after_an_unexpected_error(
    make_gateway, index_root, upstream, tmp_path, caplog, monkeypatch
):
    from gateway.retrieval import service
    from retriever.index import SearchIndex

    failures = []

    class FlakyIndex(SearchIndex):
        @classmethod
        def load(cls, *args, **kwargs):
            if not failures:
                failures.append("raised")
                raise PermissionError("a poll that fails with something other than IndexLoadError")
            return SearchIndex.load(*args, **kwargs)

    monkeypatch.setattr(service, "SearchIndex", FlakyIndex)
    root = tmp_path / "index"
    shutil.copytree(index_root, root, symlinks=True)
    gateway = make_gateway(index_dir=root, index_poll_interval=0.05)
    old_version = served_version(gateway)

    with caplog.at_level(logging.ERROR, logger=SERVICE_LOGGER):
        point_current_at(root, publish_copy(root, (root / "current").resolve(), "next000000000000"))
        wait_until(lambda: served_version(gateway) == "next000000000000", what="the swap after a failed poll")
    assert failures == ["raised"]
    logged = [r for r in caplog.records if r.name == SERVICE_LOGGER and r.exc_info]
    assert logged and f"{old_version} keeps serving" in logged[0].getMessage()
    assert logged[0].exc_info[0] is PermissionError
