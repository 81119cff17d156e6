"""Retrieval recall of the gateway's search per filter policy and second stage, with per-question ranks."""

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from retriever.index import SearchIndex
from retriever.rerank.base import Reranker

from benchmarks.rerank.labelled import Labelled
from benchmarks.rerank.settings import plan_for

# As eval_recall.py and the FinanceBench harness: the search depth follows k, so k=10 keeps them comparable.
KS = (1, 5, 10)


@dataclass
class Recall:
    """Recall@k and MRR@10 over a question set, and each question's first evidence rank."""

    label: str
    ranks: dict[str, int | None] = field(default_factory=dict)
    ms_per_query: float = 0.0

    def figures(self, only: set[str] | None = None) -> dict[str, float | int]:
        """recall@k (share of questions with evidence in the top k) and MRR@10."""
        ranks = [r for q, r in self.ranks.items() if only is None or q in only]
        n = len(ranks)
        out: dict[str, float | int] = {"n": n}
        for k in KS:
            out[f"recall@{k}"] = round(sum(r is not None and r <= k for r in ranks) / n, 4) if n else 0.0
        out["mrr@10"] = round(sum(1 / r for r in ranks if r is not None and r <= 10) / n, 4) if n else 0.0
        out["ms_per_query"] = self.ms_per_query
        return out


def first_rank(index: SearchIndex, question: Labelled, ids: Sequence[int]) -> int | None:
    """1-based rank of the first evidence chunk among ids."""
    for rank, i in enumerate(ids, start=1):
        if question.relevant(index.store.texts[i], index.store.metadata[i]):
            return rank
    return None


def recall(
    label: str,
    pairs: Sequence[tuple[SearchIndex, Labelled, np.ndarray]],
    policy: str,
    rerankers: dict[str, Reranker | None] | Reranker | None,
) -> Recall:
    """Search each question (top max(KS)) under a policy; `rerankers` maps a fold to its model, or is one."""
    result = Recall(label)
    started = time.perf_counter()
    for index, question, vector in pairs:
        plan = plan_for(index, question, policy)
        reranker: Any = rerankers
        if isinstance(rerankers, dict):
            reranker = rerankers[question_fold(question)]
        hits = index.search(
            plan.query,
            k=max(KS),
            filters=plan.filter,
            query_vector=vector,
            items=plan.items,
            analysis=plan.analysis,
            rerank=reranker if reranker is not None else False,
        )
        result.ranks[question.qid] = first_rank(index, question, [h.id for h in hits])
    result.ms_per_query = round((time.perf_counter() - started) * 1000 / max(len(pairs), 1), 2)
    return result


def question_fold(question: Labelled) -> str:
    """The fold of the question's company."""
    from benchmarks.rerank.labelled import fold

    return fold(question.ticker)
