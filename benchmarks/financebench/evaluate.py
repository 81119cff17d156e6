"""Run one search configuration and filter policy over all questions and score it."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from retriever.filters import evaluate as evaluate_filter
from retriever.filters import parse_filter

from benchmarks.financebench.chunk_table import ChunkTable
from benchmarks.financebench.metrics import KS, Scores, first_doc_rank, first_hit_rank, score
from benchmarks.financebench.questions import EvalQuestion
from benchmarks.financebench.search import SearchConfig, search

FilterPolicy = Callable[[EvalQuestion], dict[str, Any] | None]


@dataclass(frozen=True)
class Run:
    """Scores of one (index variant, search config, filter policy) plus per-question ranks."""

    label: str
    variant: str
    config: SearchConfig
    filter_policy: str
    scores: Scores
    per_question: list[dict[str, Any]] = field(default_factory=list)


def evaluate(
    label: str,
    table: ChunkTable,
    questions: Sequence[EvalQuestion],
    query_vectors: np.ndarray,
    config: SearchConfig,
    policy_name: str,
    policy: FilterPolicy,
    only: set[str] | None = None,
) -> Run:
    """Search every question (top max(KS)) and score evidence-page and evidence-document ranks.

    Dense and hybrid runs skip questions whose candidate rows (after the filter) are not all embedded yet;
    `only` restricts a run to given question ids (to compare on the same questions).
    """
    depth = max(KS)
    page_ranks: list[int | None] = []
    doc_ranks: list[int | None] = []
    rows: list[dict[str, Any]] = []
    needs_vectors = config.mode != "bm25"
    for question, vector in zip(questions, query_vectors, strict=True):
        if only is not None and question.qid not in only:
            continue
        filt = policy(question)
        if needs_vectors and not table.embedded(_mask(table, filt)):
            continue
        ids = search(table, question.question, vector, depth, config, filt)
        ranked = [table.metadata[i] for i in ids]
        page_rank, doc_rank = first_hit_rank(question, ranked), first_doc_rank(question, ranked)
        page_ranks.append(page_rank)
        doc_ranks.append(doc_rank)
        rows.append(
            {
                "qid": question.qid,
                "page_rank": page_rank,
                "doc_rank": doc_rank,
                "filter": filt,
                "top": [f"{m.doc_id}#p{(m.page or 0) - 1}" for m in ranked[:5]],
            }
        )
    return Run(label, table.name, config, policy_name, score(page_ranks, doc_ranks), rows)


def _mask(table: ChunkTable, filt: dict[str, Any] | None) -> np.ndarray | None:
    parsed = parse_filter(filt)
    return evaluate_filter(parsed, table.columns) if parsed is not None else None
