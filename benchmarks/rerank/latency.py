"""In-process cost per query of query understanding and of each second stage, side by side.

Each question is searched with every reranker in turn (alternating, so machine drift hits all alike), after
one warm-up pass; times are wall-clock per call on one thread, the way a gateway retrieval thread runs them.
"""

import statistics
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from retriever.index import SearchIndex
from retriever.rerank.base import Reranker


def _pct(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000, q))


def measure(
    index: SearchIndex, questions: Sequence[str], rerankers: dict[str, Reranker | None], k: int = 5
) -> dict[str, Any]:
    """p50/p95 ms of planning (query understanding) and of a search per second stage."""
    vectors = index.embedder.embed_queries(list(questions))
    plans = [index.plan([q]) for q in questions]
    for plan, vector in zip(plans, vectors, strict=True):  # warm caches and the lazy per-chunk columns
        index.search(
            plan.query, k, plan.filter, query_vector=vector, items=plan.items, analysis=plan.analysis
        )
    planning: list[float] = []
    searches: dict[str, list[float]] = {name: [] for name in rerankers}
    for question, vector in zip(questions, vectors, strict=True):
        started = time.perf_counter()
        plan = index.plan([question])
        planning.append(time.perf_counter() - started)
        for name, reranker in rerankers.items():
            started = time.perf_counter()
            index.search(
                plan.query,
                k,
                plan.filter,
                query_vector=vector,
                items=plan.items,
                analysis=plan.analysis,
                rerank=reranker if reranker is not None else False,
            )
            searches[name].append(time.perf_counter() - started)
    out: dict[str, Any] = {
        "questions": len(questions),
        "plan_ms": {"p50": round(_pct(planning, 50), 3), "p95": round(_pct(planning, 95), 3)},
        "search_ms": {
            name: {"p50": round(_pct(t, 50), 3), "p95": round(_pct(t, 95), 3)} for name, t in searches.items()
        },
    }
    base = searches.get("none")
    if base:
        out["added_ms_p50"] = {
            name: round(statistics.median(np.subtract(t, base)) * 1000, 3) for name, t in searches.items()
        }
    return out
