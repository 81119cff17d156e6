"""Evidence-page recall@k and MRR: a hit is a retrieved chunk of the evidence document on an evidence page."""

from collections.abc import Sequence
from dataclasses import dataclass

from retriever.hits import ChunkMetadata

from benchmarks.financebench.questions import EvalQuestion

KS = (1, 5, 10)


def is_hit(question: EvalQuestion, meta: ChunkMetadata) -> bool:
    """Chunk metadata pages are 1-based; FinanceBench evidence pages are 0-based pypdf indexes."""
    return meta.doc_id == question.doc_id and meta.page is not None and meta.page - 1 in question.pages


def first_hit_rank(question: EvalQuestion, ranked: Sequence[ChunkMetadata]) -> int | None:
    """1-based rank of the first hit, or None."""
    return next((i for i, m in enumerate(ranked, start=1) if is_hit(question, m)), None)


def first_doc_rank(question: EvalQuestion, ranked: Sequence[ChunkMetadata]) -> int | None:
    """1-based rank of the first chunk from the evidence document (any page), or None."""
    return next((i for i, m in enumerate(ranked, start=1) if m.doc_id == question.doc_id), None)


@dataclass(frozen=True)
class Scores:
    """Aggregate figures over a question set."""

    n: int
    recall: dict[int, float]
    mrr: float
    doc_recall: dict[int, float]

    def as_dict(self) -> dict[str, float | int]:
        """Flat JSON-able figures."""
        out: dict[str, float | int] = {"n": self.n, "mrr@10": round(self.mrr, 4)}
        out |= {f"recall@{k}": round(v, 4) for k, v in self.recall.items()}
        out |= {f"doc_recall@{k}": round(v, 4) for k, v in self.doc_recall.items()}
        return out


def score(
    page_ranks: Sequence[int | None], doc_ranks: Sequence[int | None], ks: Sequence[int] = KS
) -> Scores:
    """recall@k = share of questions with a hit in the top k; MRR over the top max(ks) (0 when no hit)."""
    n = len(page_ranks)
    depth = max(ks)

    def recall(ranks: Sequence[int | None], k: int) -> float:
        return sum(1 for r in ranks if r is not None and r <= k) / n if n else 0.0

    mrr = sum(1.0 / r for r in page_ranks if r is not None and r <= depth) / n if n else 0.0
    return Scores(n, {k: recall(page_ranks, k) for k in ks}, mrr, {k: recall(doc_ranks, k) for k in ks})
