"""The gateway's retrieval-side steps on one query: embed, search (dense / hybrid), fit the prompt."""

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from gateway.prompt.builder import build_prompt
from gateway.prompt.tokens import EstimatingCounter
from retriever.embedder import Backend, Embedder
from retriever.hits import Hit
from retriever.index import SearchIndex

from benchmarks.breakdown.timing import StepTiming, time_sync


def _count_all(counter: Callable[[str], int], hits: list[Hit]) -> int:
    return sum(counter(hit.text) for hit in hits)


def retrieval_steps(
    model: str, backend: Backend, index_dir: Path, queries: Sequence[str]
) -> list[StepTiming]:
    """Per-query cost of each step the gateway runs before calling the upstream."""
    embedder = Embedder(model, backend=backend)
    hybrid = SearchIndex.load(index_dir, embedder, hybrid=True)
    dense = SearchIndex.load(index_dir, embedder, hybrid=False)
    embedder.embed_queries(list(queries[:4]))
    vectors = [embedder.embed_queries([q])[0] for q in queries]
    hits = [hybrid.search(q, 5, None, None, v) for q, v in zip(queries, vectors, strict=True)]
    counter = EstimatingCounter(embedder.count_tokens, 1.3)

    def fit(query: str, found: list[Hit]) -> Callable[[], object]:
        messages = [{"role": "user", "content": query}]
        return lambda: build_prompt(
            messages, found, count_tokens=counter, max_model_len=4096, completion_tokens=64
        )

    pairs = list(zip(queries, vectors, strict=True))
    return [
        time_sync(f"embed 1 query ({backend})", [partial(embedder.embed_queries, [q]) for q in queries]),
        time_sync("search dense (FAISS)", [partial(dense.search, q, 5, None, None, v) for q, v in pairs]),
        time_sync(
            "search hybrid (FAISS+BM25+RRF)", [partial(hybrid.search, q, 5, None, None, v) for q, v in pairs]
        ),
        time_sync("count tokens of 5 hits", [partial(_count_all, counter, h) for h in hits]),
        time_sync("build_prompt (5 hits)", [fit(q, h) for q, h in zip(queries, hits, strict=True)]),
    ]
