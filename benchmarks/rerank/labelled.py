"""Questions with a way to tell evidence chunks, from both eval sets, and their company folds.

Folds split by company: every question about a company lies in one fold, so a model trained on one fold
is scored on companies it never saw. The shipped weights are trained on fold A only; fold B stays untouched.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from retriever.hits import ChunkMetadata

from benchmarks.financebench.documents import SharedCorpus
from benchmarks.financebench.metrics import is_hit
from benchmarks.financebench.questions import load_questions, oracle_filter
from benchmarks.retrieval.eval_recall import contains_most, shared_dir, trigrams

FINANCEBENCH = "financebench"
FQA10K = "financial_qa_10k"
COVERAGE = 0.5
# financial_qa_10k rows of these companies are scored by eval_recall.py; the others may only train.
FQA10K_SCORED = ("AAPL", "MSFT", "META", "NVDA", "TSLA")


@dataclass(frozen=True)
class Labelled:
    """One question, the company it is about, and a predicate telling its evidence chunks."""

    qid: str
    dataset: str
    question: str
    ticker: str
    relevant: Callable[[str, ChunkMetadata], bool]
    oracle: dict[str, Any] | None


def fold(ticker: str) -> str:
    """'A' or 'B', fixed per company (a hash, so no choice of ours decides which company is held out)."""
    return "A" if hashlib.sha256(ticker.upper().encode()).digest()[0] % 2 == 0 else "B"


def financebench_questions(corpus: SharedCorpus) -> list[Labelled]:
    """The 129 scorable FinanceBench questions: evidence = a chunk on an evidence page of the document."""
    out = []
    for q in load_questions(corpus):
        out.append(
            Labelled(
                q.qid,
                FINANCEBENCH,
                q.question,
                q.ticker,
                lambda _text, meta, q=q: is_hit(q, meta),
                oracle_filter(q),
            )
        )
    return out


def fqa10k_questions(*, scored_only: bool) -> list[Labelled]:
    """financial_qa_10k rows: evidence = a chunk holding most of the gold context sentence."""
    import csv

    path = shared_dir() / "eval" / "financial_qa_10k" / "financial_qa_10k_bigtech.csv"
    out = []
    with path.open(newline="", encoding="utf-8") as fh:
        for n, row in enumerate(csv.DictReader(fh)):
            if scored_only and row["ticker"] not in FQA10K_SCORED:
                continue
            grams = trigrams(row["context"])
            out.append(
                Labelled(
                    f"fqa-{n}",
                    FQA10K,
                    row["question"],
                    row["ticker"],
                    lambda text, _meta, grams=grams: contains_most(text, grams, COVERAGE),
                    {"type": "eq", "key": "ticker", "value": row["ticker"]},
                )
            )
    return out
