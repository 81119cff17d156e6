"""``python -m benchmarks breakdown``: per-step cost of a gateway request, in-process, noise-resistant."""

import argparse
from pathlib import Path
from typing import Any

from synthetic_upstream.testing import run_upstream

from benchmarks.breakdown.relay_steps import TOKENS, relay_steps
from benchmarks.breakdown.retrieval_steps import retrieval_steps
from benchmarks.breakdown.timing import StepTiming
from benchmarks.embedding.command import parse_backends
from benchmarks.loadgen import eventloop
from benchmarks.loadgen.machine import describe_machine, results_dir
from benchmarks.loadgen.prompts import load_prompts
from benchmarks.loadgen.report import write_json
from benchmarks.overhead.stack import default_embedding_model, default_index_dir


def add_parser(subparsers: Any) -> None:
    """Register the ``breakdown`` subcommand."""
    parser = subparsers.add_parser(
        "breakdown", help="per-step CPU of a gateway request (embed, search, relay)"
    )
    parser.add_argument("--index-dir", type=Path, default=None)
    parser.add_argument("--model", default=None, help="embedding model (default offline MiniLM)")
    parser.add_argument("--backends", default="onnx,torch")
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=60, help="streamed requests per relay path")
    parser.add_argument("--label", default="breakdown")
    parser.add_argument("--out", type=Path, default=None)
    parser.set_defaults(handler=main)


def markdown(steps: list[StepTiming]) -> str:
    """One row per step."""
    rows = [
        "| step | calls | min (ms) | p50 (ms) | p95 (ms) | CPU per call (ms) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    rows += [
        f"| {s.step} | {s.calls} | {s.min_ms:.2f} | {s.p50_ms:.2f} | {s.p95_ms:.2f} | {s.cpu_ms:.2f} |"
        for s in steps
    ]
    return "\n".join(rows) + "\n"


def main(args: argparse.Namespace) -> None:
    """Time every step; write ``<label>.json`` and ``<label>.md``."""
    model = args.model or default_embedding_model()
    index_dir = args.index_dir or default_index_dir()
    queries = load_prompts("fqa10k", args.queries, seed=2)
    steps: list[StepTiming] = []
    for backend in parse_backends(args.backends):
        found = retrieval_steps(model, backend, index_dir, queries)
        steps += found if not steps else found[:1]  # search and prompt steps do not depend on the backend
    with run_upstream(ttft_ms=0, itl_ms=0, recorded_requests=0) as upstream:
        steps += eventloop.run(relay_steps(upstream.base_url, "synthetic-model", queries, args.repeats))
    out = args.out or results_dir()
    out.mkdir(parents=True, exist_ok=True)
    write_json(
        out / f"{args.label}.json", {"machine": describe_machine(), "steps": [s.to_dict() for s in steps]}
    )
    note = f"Relay rows stream {TOKENS} tokens from a zero-latency synthetic upstream in another process.\n\n"
    table = markdown(steps)
    (out / f"{args.label}.md").write_text(f"# {args.label}\n\n{note}{table}", encoding="utf-8")
    print(table)
