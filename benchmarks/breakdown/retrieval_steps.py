"""The gateway's retrieval-side steps on one query: embed, search (dense / hybrid), fit the prompt."""

from collections.abc import Callable, Sequence
from pathlib import Path

from gateway.prompt.builder import build_prompt
from gateway.prompt.tokens import EstimatingCounter
from retriever.embedder import Embedder
from retriever.index import SearchIndex

from benchmarks.breakdown.timing import StepTiming, time_sync


def retrieval_steps(model: str, backend: str, index_dir: Path, queries: Sequence[str]) -> list[StepTiming]:
    """Per-query cost of each step the gateway runs before calling the upstream."""
    embedder = Embedder(model, backend=backend)
    hybrid = SearchIndex.load(index_dir, embedder, hybrid=True)
    dense = SearchIndex.load(index_dir, embedder, hybrid=False)
    embedder.embed_queries(list(queries[:4]))
    vectors = [embedder.embed_queries([q])[0] for q in queries]
    hits = [hybrid.search(q, 5, None, None, v) for q, v in zip(queries, vectors, strict=True)]
    counter = EstimatingCounter(embedder.count_tokens, 1.3)

    def fit(query: str, found: list) -> Callable[[], object]:  # type: ignore[type-arg]
        messages = [{"role": "user", "content": query}]
        return lambda: build_prompt(
            messages, found, count_tokens=counter, max_model_len=4096, completion_tokens=64
        )

    pairs = list(zip(queries, vectors, strict=True))
    return [
        time_sync(f"embed 1 query ({backend})", [lambda q=q: embedder.embed_queries([q]) for q in queries]),
        time_sync(
            "search dense (FAISS)", [lambda q=q, v=v: dense.search(q, 5, None, None, v) for q, v in pairs]
        ),
        time_sync(
            "search hybrid (FAISS+BM25+RRF)",
            [lambda q=q, v=v: hybrid.search(q, 5, None, None, v) for q, v in pairs],
        ),
        time_sync("count tokens of 5 hits", [lambda h=h: sum(counter(x.text) for x in h) for h in hits]),
        time_sync("build_prompt (5 hits)", [fit(q, h) for q, h in zip(queries, hits, strict=True)]),
    ]
