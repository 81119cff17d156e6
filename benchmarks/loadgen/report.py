"""Writes results: JSON, a markdown table and PNG plots of TTFT and throughput against concurrency."""

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from benchmarks.loadgen.summary import RunSummary


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{1000 * value:.1f}"


def _steady(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def markdown_table(summaries: Sequence[RunSummary]) -> str:
    """One row per concurrency level."""
    header = (
        "| conc | req/s (steady) | out tok/s | TTFT p50 / p95 / p99 (ms) | TPOT p50 / p95 / p99 (ms) "
        "| E2E p50 / p95 / p99 (s) | ok / failed | client CPU |\n"
        "|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    )
    rows = []
    for s in summaries:
        e2e = s.latency_s
        rows.append(
            f"| {s.concurrency} | {s.requests_per_s:.2f} ({_steady(s.steady_requests_per_s)}) "
            f"| {s.output_tokens_per_s:.0f} "
            f"| {_ms(s.ttft_s.p50)} / {_ms(s.ttft_s.p95)} / {_ms(s.ttft_s.p99)} "
            f"| {_ms(s.tpot_s.p50)} / {_ms(s.tpot_s.p95)} / {_ms(s.tpot_s.p99)} "
            f"| {e2e.p50 or 0:.2f} / {e2e.p95 or 0:.2f} / {e2e.p99 or 0:.2f} "
            f"| {s.completed} / {s.failed} | {100 * s.client_cpu_util:.0f}% |"
        )
    return header + "\n".join(rows) + "\n"


def write_json(path: Path, data: Mapping[str, object]) -> None:
    """Pretty JSON, UTF-8."""
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def plot_sweeps(sweeps: Mapping[str, Sequence[RunSummary]], path_prefix: Path) -> list[Path]:
    """``<prefix>_ttft.png`` and ``<prefix>_throughput.png``, one line per labelled sweep."""
    ttft_path, tput_path = Path(f"{path_prefix}_ttft.png"), Path(f"{path_prefix}_throughput.png")

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for label, runs in sweeps.items():
        levels = [s.concurrency for s in runs]
        ax.plot(levels, [1000 * (s.ttft_s.p50 or 0) for s in runs], marker="o", label=f"{label} p50")
        ax.plot(levels, [1000 * (s.ttft_s.p95 or 0) for s in runs], marker="x", ls="--", label=f"{label} p95")
    _finish(ax, "TTFT (ms)", "Time to first token vs concurrency")
    fig.savefig(ttft_path, dpi=110, bbox_inches="tight")
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4.5))
    twin = ax.twinx()
    for label, runs in sweeps.items():
        levels = [s.concurrency for s in runs]
        ax.plot(levels, [s.requests_per_s for s in runs], marker="o", label=f"{label} req/s")
        twin.plot(levels, [s.output_tokens_per_s for s in runs], marker="x", ls=":", label=f"{label} tok/s")
    twin.set_ylabel("output tokens/s")
    _finish(ax, "requests/s", "Throughput vs concurrency")
    lines = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    ax.legend(lines, [str(line.get_label()) for line in lines], fontsize=8)
    fig.savefig(tput_path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return [ttft_path, tput_path]


def _finish(ax: Axes, ylabel: str, title: str) -> None:
    ax.set_xscale("log", base=2)
    ax.set_xlabel("concurrent streams")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
