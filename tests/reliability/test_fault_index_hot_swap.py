"""Scenario 7: a new index version is built and published while 50 streams run. 0 failed requests; responses
that start after the swap report the new version (X-RAG-Index-Version and system_fingerprint)."""

from __future__ import annotations

import asyncio
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from synthetic_upstream.tokens import expected_text

from reliability.sse_client import StreamResult, chat_body, stream_chat
from reliability.tiny_index import BASE_FILINGS, EXTRA_FILING, build_with_cli, write_corpus

CLIENTS = 50
TOKENS = 20
AFTER_SWAP_S = 3.0
DEADLINE_S = 150.0
QUESTION = "How many sensors did Gamma Devices ship in fiscal 2024?"


@dataclass
class Sample:
    started: float
    result: StreamResult


async def worker(http: httpx.AsyncClient, url: str, stop: asyncio.Event, samples: list[Sample]) -> None:
    while not stop.is_set():
        started = time.monotonic()
        result = await stream_chat(http, url, chat_body(QUESTION, max_tokens=TOKENS))
        samples.append(Sample(started, result))


async def watch_ready(http: httpx.AsyncClient, url: str, version: str, seen: asyncio.Event) -> float:
    """The moment /ready first reports `version`."""
    while True:
        ready = (await http.get(url + "/ready")).json()
        if ready["index"]["version"] == version:
            seen.set()
            return time.monotonic()
        await asyncio.sleep(0.05)


def current_version(root: Path) -> str:
    return (root / "current").resolve().name


async def test_hot_swap_under_50_streams(make_gateway, upstream, index_root, embedding_model, tmp_path):
    root = tmp_path / "index"
    shutil.copytree(index_root, root, symlinks=True)
    old = current_version(root)
    gateway = make_gateway(index_dir=root, index_poll_interval=0.2)
    upstream.control.set_timing(itl_ms=20)
    corpus = write_corpus(tmp_path / "corpus", (*BASE_FILINGS, EXTRA_FILING))

    samples: list[Sample] = []
    stop, swapped = asyncio.Event(), asyncio.Event()
    limits = httpx.Limits(max_connections=CLIENTS + 10)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:
        workers = [asyncio.create_task(worker(http, gateway.url, stop, samples)) for _ in range(CLIENTS)]
        try:
            async with asyncio.timeout(DEADLINE_S):
                await asyncio.sleep(1.0)  # streams are running before the build starts
                await asyncio.to_thread(build_with_cli, corpus, root, embedding_model)
                new = current_version(root)
                assert new != old
                swap_at = await watch_ready(http, gateway.url, new, swapped)
                await asyncio.sleep(AFTER_SWAP_S)
        finally:
            stop.set()
            await asyncio.gather(*workers)

    failures = [
        s.result for s in samples if not (s.result.status == 200 and s.result.done and not s.result.errors)
    ]
    assert failures == [], f"{len(failures)} of {len(samples)} requests failed: {failures[:3]}"
    assert all(s.result.content == expected_text(TOKENS) for s in samples)
    for sample in samples:
        version = sample.result.headers["X-RAG-Index-Version"]
        assert version in (old, new)
        assert sample.result.fingerprints[0] == f"rag-index-{version}"
    after = [s for s in samples if s.started > swap_at]
    assert len(after) >= CLIENTS, f"only {len(after)} requests after the swap"
    stale = [
        s.result.headers["X-RAG-Index-Version"]
        for s in after
        if s.result.headers["X-RAG-Index-Version"] != new
    ]
    assert stale == [], f"{len(stale)} requests started after the swap were served by the old index"
    before = [s for s in samples if s.result.headers["X-RAG-Index-Version"] == old]
    assert before, "no request ran on the old version: the swap did not happen under load"
    tickers = {source["ticker"] for s in after for source in s.result.events[0]["sources"]}
    assert "GAMMA" in tickers, "the new filing is not retrievable after the swap"
