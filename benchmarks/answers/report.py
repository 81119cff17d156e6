"""Markdown table of an answers run: one row per setting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

COLUMNS = (
    ("setting", "setting"),
    ("n", "n"),
    ("accuracy", "accuracy"),
    ("accuracy_numeric_gold", "numeric gold"),
    ("accuracy_lexical_judge", "lexical judge"),
    ("refusal_rate", "refusals"),
    ("citation_precision", "citation precision"),
    ("grounding_figures_found", "figures found"),
    ("grounding_answers_with_unsupported", "answers w/ unsupported figure"),
    ("ttft_p50", "TTFT p50 (s)"),
    ("latency_p50", "latency p50 (s)"),
    ("prompt_tokens_mean", "prompt tok"),
    ("completion_tokens_mean", "completion tok"),
    ("errors", "errors"),
)


def _cell(summary: dict[str, Any], key: str) -> str:
    if key in ("ttft_p50", "latency_p50"):
        quantiles = summary.get(key.rsplit("_", 1)[0] + "_s")
        value = quantiles["p50"] if quantiles else None
    else:
        value = summary.get(key)
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}" if value < 10 else f"{value:.0f}"
    return str(value)


def table(result: dict[str, Any]) -> str:
    """The settings of one run as a markdown table."""
    lines = [
        "| " + " | ".join(title for _, title in COLUMNS) + " |",
        "|" + "|".join("---" if key == "setting" else "---:" for key, _ in COLUMNS) + "|",
    ]
    for summary in result["settings"].values():
        lines.append("| " + " | ".join(_cell(summary, key) for key, _ in COLUMNS) + " |")
    return "\n".join(lines)


def write_report(result: dict[str, Any], path: Path) -> None:
    """`<label>.md`: model, options and the table."""
    options = ", ".join(f"{k}={v}" for k, v in result["options"].items() if v is not None)
    text = (
        f"# {result['label']}\n\nModel `{result['model']}`, {result['questions']} FinanceBench questions, "
        f"{options}; commit {result['machine'].get('git_commit')}.\n\n{table(result)}\n"
    )
    path.write_text(text)
