"""Write the evaluation's JSON and a Markdown table."""

import json
import time
from pathlib import Path
from typing import Any

from retriever.rerank.learned import FusionWeights

from benchmarks.rerank.evaluate import Recall


def write_report(
    out: Path,
    runs: dict[str, tuple[Recall, set[str]]],
    fold_models: dict[str, FusionWeights],
    shipped: FusionWeights,
    seconds: float,
) -> None:
    """results/rerank_<date>.{json,md}: all / held-out fold B figures per run, per-question ranks."""
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%d", time.gmtime())
    body: dict[str, Any] = {
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "seconds": round(seconds, 1),
        "shipped_weights": shipped.model_dump(),
        "shipped_equals_fold_A_fit": shipped.coef == fold_models["A"].coef,
        "runs": {
            label: {"all": run.figures(), "fold_B": run.figures(held_out), "ranks": run.ranks}
            for label, (run, held_out) in runs.items()
        },
    }
    (out / f"rerank_{stamp}.json").write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")
    lines = recall_table(runs, timing=True)
    (out / f"rerank_{stamp}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


def recall_table(runs: dict[str, tuple[Recall, set[str]]], *, timing: bool) -> list[str]:
    """Markdown rows of recall per run: all questions, held-out fold B, and the time per query if asked."""
    lines = [
        "| dataset / filter / second stage | n | R@1 | R@5 | R@10 | MRR@10 | R@5 fold B (held out) |"
        + (" ms/query |" if timing else ""),
        "|---|---:|---:|---:|---:|---:|---:|" + ("---:|" if timing else ""),
    ]
    for label, (run, held_out) in runs.items():
        a, b = run.figures(), run.figures(held_out)
        lines.append(
            f"| {label} | {a['n']} | {a['recall@1']:.3f} | {a['recall@5']:.3f} | {a['recall@10']:.3f} | "
            f"{a['mrr@10']:.3f} | {b['recall@5']:.3f} (n={b['n']}) |"
            + (f" {a['ms_per_query']} |" if timing else "")
        )
    return lines
