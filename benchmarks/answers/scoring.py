"""Per-answer scores (accuracy, citations, grounding) and their aggregate over one setting."""

from __future__ import annotations

import re
import statistics
from dataclasses import asdict, dataclass
from typing import Any

from retriever.file_ids import file_id_for

from benchmarks.answers.client import Reply
from benchmarks.answers.judge import judge, question_unit
from benchmarks.financebench.questions import EvalQuestion

_MARKER = re.compile(r"\[(\d{1,3})\]")


@dataclass(frozen=True)
class Scored:
    """One question's answer in one setting, with every score the report aggregates."""

    qid: str
    question_type: str
    correct: bool
    rule: str
    refusal: bool
    judge_detail: str
    citations: int
    citations_on_evidence: int
    citations_unknown: int
    figures_checked: int | None
    figures_found: int | None
    has_unsupported: bool | None
    ttft_s: float | None
    latency_s: float
    prompt_tokens: int | None
    completion_tokens: int | None
    sources: int
    error: str | None
    answer: str


def _on_evidence(source: dict[str, Any], question: EvalQuestion, evidence_file_ids: frozenset[str]) -> bool:
    # Sources carry the filing's file_id (its accession, or a hash of doc_id) and a 1-based page;
    # FinanceBench evidence pages are 0-based pypdf indexes.
    page = source.get("page")
    return source.get("file_id") in evidence_file_ids and page is not None and page - 1 in question.pages


def score_reply(question: EvalQuestion, gold: str, reply: Reply, evidence_file_ids: frozenset[str]) -> Scored:
    """Score one reply; a failed request counts as wrong with no citations."""
    verdict = judge(question.question, gold, reply.text) if reply.error is None else None
    markers = [int(n) for n in _MARKER.findall(reply.text)]
    known = [n for n in markers if 1 <= n <= len(reply.sources)]
    on_evidence = sum(_on_evidence(reply.sources[n - 1], question, evidence_file_ids) for n in known)
    grounding = reply.grounding if reply.grounding and reply.grounding.get("checked") else None
    figures = grounding.get("figures", []) if grounding else []
    usage = reply.usage or {}
    return Scored(
        qid=question.qid,
        question_type=question.question_type,
        correct=bool(verdict and verdict.correct),
        rule=verdict.rule if verdict else "error",
        refusal=bool(verdict and verdict.refusal),
        judge_detail=verdict.detail if verdict else "",
        citations=len(markers),
        citations_on_evidence=on_evidence,
        citations_unknown=len(markers) - len(known),
        figures_checked=len(figures) if grounding else None,
        figures_found=sum(bool(f.get("found_in")) for f in figures) if grounding else None,
        has_unsupported=bool(grounding.get("unsupported")) if grounding else None,
        ttft_s=reply.ttft_s,
        latency_s=round(reply.latency_s, 3),
        prompt_tokens=usage.get("prompt_tokens"),
        completion_tokens=usage.get("completion_tokens"),
        sources=len(reply.sources),
        error=reply.error,
        answer=reply.text,
    )


def _share(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _quantiles(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "p50": round(statistics.median(ordered), 3),
        "p95": round(p95, 3),
        "mean": round(statistics.fmean(ordered), 3),
    }


def aggregate(rows: list[Scored]) -> dict[str, Any]:
    """Summary of one setting: accuracy overall and by kind, citation precision, grounding, cost."""
    answered = [r for r in rows if r.error is None]
    numeric = [r for r in answered if r.rule == "numeric"]
    lexical = [r for r in answered if r.rule not in ("numeric", "refusal")]
    grounded = [r for r in answered if r.figures_checked is not None]
    by_type: dict[str, dict[str, Any]] = {}
    for kind in sorted({r.question_type for r in rows}):
        of_kind = [r for r in rows if r.question_type == kind]
        by_type[kind] = {"n": len(of_kind), "accuracy": _share(sum(r.correct for r in of_kind), len(of_kind))}
    citations = sum(r.citations for r in answered)
    return {
        "n": len(rows),
        "errors": len(rows) - len(answered),
        "accuracy": _share(sum(r.correct for r in rows), len(rows)),
        "accuracy_numeric_gold": _share(sum(r.correct for r in numeric), len(numeric)),
        "n_numeric_gold": len(numeric),
        "accuracy_lexical_judge": _share(sum(r.correct for r in lexical), len(lexical)),
        "n_lexical_judge": len(lexical),
        "by_question_type": by_type,
        "refusal_rate": _share(sum(r.refusal for r in answered), len(answered)),
        "citations_per_answer": _share(citations, len(answered)),
        "citation_precision": _share(sum(r.citations_on_evidence for r in answered), citations),
        "answers_citing_evidence": _share(sum(r.citations_on_evidence > 0 for r in answered), len(answered)),
        "unknown_citation_share": _share(sum(r.citations_unknown for r in answered), citations),
        "grounding_answers_checked": len(grounded),
        "grounding_figures_found": _share(
            sum(r.figures_found or 0 for r in grounded), sum(r.figures_checked or 0 for r in grounded)
        ),
        "grounding_answers_with_unsupported": _share(
            sum(bool(r.has_unsupported) for r in grounded), len(grounded)
        ),
        "ttft_s": _quantiles([r.ttft_s for r in answered if r.ttft_s is not None]),
        "latency_s": _quantiles([r.latency_s for r in answered]),
        "prompt_tokens_mean": _mean([r.prompt_tokens for r in answered]),
        "completion_tokens_mean": _mean([r.completion_tokens for r in answered]),
    }


def _mean(values: list[int | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(statistics.fmean(present), 1) if present else None


def evidence_file_ids(question: EvalQuestion, accession: str | None) -> frozenset[str]:
    """The file ids a source of the evidence document can carry."""
    return frozenset({file_id_for(question.doc_id, accession)})


def row_dict(row: Scored) -> dict[str, Any]:
    """A scored row as JSON-ready data."""
    return asdict(row)


__all__ = ["Scored", "aggregate", "evidence_file_ids", "question_unit", "row_dict", "score_reply"]
