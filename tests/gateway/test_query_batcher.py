"""QueryBatcher: every query gets its own result or error, at most `concurrency` batches run at once."""

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from gateway.metrics import Metrics
from gateway.retrieval.batcher import QueryBatcher


class SlowEmbedder:
    """Records how many embed calls overlap; each call takes `seconds`."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.running = 0
        self.most_at_once = 0
        self.batches: list[list[str]] = []
        self._lock = threading.Lock()

    def __call__(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
            self.batches.append(texts)
        time.sleep(self.seconds)
        with self._lock:
            self.running -= 1
        return np.array([[float(len(t))] for t in texts], dtype=np.float32)


async def _ask_all(batcher: QueryBatcher, texts: list[str]) -> list[object]:
    async def one(text: str) -> object:
        await asyncio.sleep(0.001 * (hash(text) % 5))  # arrivals spread over a few milliseconds
        return await batcher.run(text, lambda vector: (text, float(vector[0])))

    return await asyncio.gather(*(one(t) for t in texts), return_exceptions=True)


@pytest.mark.parametrize("concurrency", [1, 2, 3])
def test_each_query_gets_its_own_vector_and_batches_never_exceed_the_cap(concurrency):
    embed = SlowEmbedder(seconds=0.02)
    texts = [f"question {'x' * i}" for i in range(40)]
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        batcher = QueryBatcher(embed, 4, Metrics(), pool, concurrency=concurrency)
        results = asyncio.run(_ask_all(batcher, texts))
    assert results == [(t, float(len(t))) for t in texts]
    assert embed.most_at_once <= concurrency
    assert all(len(batch) <= 4 for batch in embed.batches)
    assert sorted(t for batch in embed.batches for t in batch) == sorted(texts)
    if concurrency > 1:
        assert embed.most_at_once > 1  # the second thread was used, not just allowed


def test_a_failing_finish_fails_only_its_own_query():
    embed = SlowEmbedder(seconds=0.0)

    def finish(vector: np.ndarray) -> float:
        if vector[0] == len("bad"):
            raise ValueError("bad query")
        return float(vector[0])

    async def main() -> list[object]:
        batcher = QueryBatcher(embed, 8, Metrics())
        return await asyncio.gather(
            *(batcher.run(t, finish) for t in ["good one", "bad", "fine"]), return_exceptions=True
        )

    good, bad, fine = asyncio.run(main())
    assert (good, fine) == (8.0, 4.0)
    assert isinstance(bad, ValueError)


def test_an_embedding_failure_reaches_every_query_of_the_batch_and_later_queries_still_run():
    calls = {"n": 0}

    def embed(texts: list[str]) -> np.ndarray:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("model crashed")
        return np.ones((len(texts), 1), dtype=np.float32)

    async def main() -> tuple[list[object], object]:
        batcher = QueryBatcher(embed, 8, Metrics())
        first = await asyncio.gather(*(batcher.run(t, lambda v: 1) for t in "ab"), return_exceptions=True)
        return first, await batcher.run("c", lambda v: "ok")

    first, later = asyncio.run(main())
    assert all(isinstance(outcome, RuntimeError) for outcome in first)
    assert later == "ok"
