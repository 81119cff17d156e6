"""The FinanceBench questions whose evidence PDFs are present, with their evidence pages."""

import json
from dataclasses import dataclass
from pathlib import Path

from benchmarks.financebench.documents import SharedCorpus
from benchmarks.financebench.paths import financebench_dir

QUESTIONS = "financebench_open_source.jsonl"


@dataclass(frozen=True)
class EvalQuestion:
    """One scorable question: evidence document (indexed doc_id) and 0-based evidence pages."""

    qid: str
    question: str
    doc_name: str
    doc_id: str
    pages: frozenset[int]
    ticker: str
    fiscal_year: int | None
    form: str
    question_type: str


def load_questions(corpus: SharedCorpus, folder: Path | None = None) -> list[EvalQuestion]:
    """Questions whose every evidence item lies in one indexed document (129 of the 150 in the sample)."""
    folder = folder or financebench_dir()
    docs = {d.doc_id: d for d in corpus.documents}
    out: list[EvalQuestion] = []
    with (folder / QUESTIONS).open(encoding="utf-8") as fh:
        for line in fh:
            q = json.loads(line)
            doc_id = corpus.canonical(q["doc_name"])
            doc = docs.get(doc_id)
            if doc is None:
                continue
            if any(corpus.canonical(e["doc_name"]) != doc_id for e in q["evidence"]):
                raise ValueError(f"{q['financebench_id']}: evidence spans several documents")
            out.append(
                EvalQuestion(
                    qid=q["financebench_id"],
                    question=q["question"],
                    doc_name=q["doc_name"],
                    doc_id=doc_id,
                    pages=frozenset(int(e["evidence_page_num"]) for e in q["evidence"]),
                    ticker=doc.ticker,
                    fiscal_year=doc.fiscal_year,
                    form=doc.form,
                    question_type=q.get("question_type", ""),
                )
            )
    return out


def oracle_filter(question: EvalQuestion) -> dict[str, object]:
    """The question's company and fiscal period, taken from its evidence document."""
    return {
        "type": "and",
        "filters": [
            {"type": "eq", "key": "ticker", "value": question.ticker},
            {"type": "eq", "key": "fiscal_year", "value": question.fiscal_year},
        ],
    }
