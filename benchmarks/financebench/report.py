"""Write a run's results as JSON and a markdown table."""

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks.financebench.evaluate import Run

_TITLE = "FinanceBench evidence-page retrieval"


def run_record(run: Run, detail: bool) -> dict[str, Any]:
    """JSON-able record of one run (per-question ranks only when detail)."""
    record: dict[str, Any] = {
        "label": run.label,
        "index": run.variant,
        "search": asdict(run.config),
        "filter": run.filter_policy,
        **run.scores.as_dict(),
    }
    if detail:
        record["per_question"] = run.per_question
    return record


def markdown(runs: Sequence[Run], context: dict[str, Any]) -> str:
    """The results table plus the context needed to read it."""
    machine = context["machine"]
    lines = [
        f"# {_TITLE}",
        "",
        f"- Date (UTC): {machine['date_utc']}; machine: {machine['cores']} cores {machine['cpu_model']}, "
        f"{machine['memory_gb']} GB, shared with other jobs; git {machine.get('git_commit')}",
        f"- Questions: {context['questions']} (of 150; the rest cite PDFs absent from the public sample). "
        "A hit is a retrieved chunk of the evidence document whose (start) page is an evidence page.",
        f"- Shared index: {context['documents']} documents ({context['corpus_note']}), "
        f"{context['chunks']} chunks, embedder {context['embedder']}",
        f"- Vectors: {context['embedded']}. Dense and hybrid rows only score questions whose candidate "
        "chunks (after the row's filter) all have vectors; each is followed by BM25 on the same questions.",
        "- MRR is MRR@10 (0 when no hit in the top 10). Doc R@5 = evidence document anywhere in the top 5.",
        "",
        "| Setting | Index | Search | Filter | n | R@1 | R@5 | R@10 | MRR | Doc R@5 |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        s = run.scores
        if s.n == 0:
            lines.append(
                f"| {run.label} | {run.variant} | {run.config.name} | {run.filter_policy} | 0 | "
                "not run: chunks without vectors | | | | |"
            )
            continue
        lines.append(
            f"| {run.label} | {run.variant} | {run.config.name} | {run.filter_policy} | {s.n} | "
            f"{s.recall[1]:.3f} | "
            f"{s.recall[5]:.3f} | {s.recall[10]:.3f} | {s.mrr:.3f} | {s.doc_recall[5]:.3f} |"
        )
    if context.get("gateway_search"):
        lines += [
            "",
            "## The gateway's search on the real `rag-index` (search plan + two stages, benchmarks.rerank)",
            "shipped = the packaged fusion weights (trained on company fold A); cross-fit = every question "
            "scored by the model trained on the other company fold; fold B = companies the shipped weights "
            "never saw.",
            "",
            "| dataset / filter / second stage | n | R@1 | R@5 | R@10 | MRR | R@5 fold B |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for label, figures in context["gateway_search"].items():
            a, b = figures["all"], figures["fold_B"]
            lines.append(
                f"| {label} | {a['n']} | {a['recall@1']:.3f} | {a['recall@5']:.3f} | {a['recall@10']:.3f} | "
                f"{a['mrr@10']:.3f} | {b['recall@5']:.3f} (n={b['n']}) |"
            )
    return "\n".join(lines) + "\n"


def write_results(
    out_dir: Path,
    runs: Sequence[Run],
    context: dict[str, Any],
    detail_labels: set[str],
    stem: str | None = None,
) -> tuple[Path, Path]:
    """`<out>/<stem>.json` and `.md`; stem defaults to financebench_<date>_<mode>."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = stem or f"financebench_{dt.datetime.now(dt.UTC):%Y-%m-%d}_{context['mode']}"
    payload = {**context, "runs": [run_record(r, r.label in detail_labels) for r in runs]}
    json_path, md_path = out_dir / f"{stem}.json", out_dir / f"{stem}.md"
    json_path.write_text(json.dumps(payload, indent=1, default=str), encoding="utf-8")
    md_path.write_text(markdown(runs, context), encoding="utf-8")
    return json_path, md_path
