"""``python -m benchmarks embedding``: query-embedding latency per backend, batch size and thread count."""

import argparse
import time
from pathlib import Path
from typing import Any

import torch
from retriever.embedder import Backend, Embedder

from benchmarks.embedding.measure import BATCH_SIZES, BackendTiming, time_batches
from benchmarks.loadgen.machine import describe_machine, results_dir
from benchmarks.loadgen.prompts import load_prompts
from benchmarks.loadgen.report import write_json
from benchmarks.overhead.stack import default_embedding_model


def parse_backends(text: str) -> list[Backend]:
    """``"torch,onnx"`` → the embedder backends, refusing unknown names."""
    backends: list[Backend] = []
    for name in (part.strip() for part in text.split(",")):
        if name == "torch":
            backends.append("torch")
        elif name == "onnx":
            backends.append("onnx")
        elif name:
            raise SystemExit(f"unknown embedding backend {name!r}; use torch or onnx")
    return backends


def add_parser(subparsers: Any) -> None:
    """Register the ``embedding`` subcommand."""
    parser = subparsers.add_parser("embedding", help="query-embedding latency per backend and batch size")
    parser.add_argument("--model", default=None, help="default: offline all-MiniLM-L6-v2 folder")
    parser.add_argument("--backends", default="torch,onnx")
    parser.add_argument("--torch-threads", default="1,2", help="torch intra-op thread counts to try")
    parser.add_argument("--budget-s", type=float, default=1.5, help="time spent per batch size")
    parser.add_argument("--label", default="embedding")
    parser.add_argument("--out", type=Path, default=None)
    parser.set_defaults(handler=main)


def _measure(
    model: str, backend: Backend, threads: int | None, queries: list[str], budget_s: float
) -> BackendTiming:
    if threads is not None:
        torch.set_num_threads(threads)
    started = time.perf_counter()
    embedder = Embedder(model, backend=backend)
    load_s = time.perf_counter() - started
    embedder.embed_queries(queries[:8])
    return BackendTiming(
        backend, threads, load_s, time_batches(embedder.embed_queries, queries, BATCH_SIZES, budget_s)
    )


def markdown(timings: list[BackendTiming]) -> str:
    """One row per backend setting: batch latencies and the 64-query burst comparison."""
    sizes = " | ".join(f"b={b}" for b in BATCH_SIZES)
    lines = [
        f"| backend | threads | {sizes} | 64-burst one-by-one (ms) | 64-burst micro-batched (ms) |",
        "|---|---:|" + "---:|" * (len(BATCH_SIZES) + 2),
    ]
    for t in timings:
        cells = " | ".join(f"{b.p50_ms:.1f}" for b in t.batches)
        burst = t.burst_ms(64)
        lines.append(
            f"| {t.backend} | {t.threads or 'default'} | {cells} "
            f"| {burst['sequential_ms']:.0f} | {burst['micro_batched_ms']:.0f} |"
        )
    return "p50 ms per `embed_queries` call of b queries\n\n" + "\n".join(lines) + "\n"


def main(args: argparse.Namespace) -> None:
    """Measure every backend/thread setting; write ``<label>.json`` and ``<label>.md``."""
    model = args.model or default_embedding_model()
    queries = load_prompts("fqa10k", 256, seed=1)
    timings = []
    for backend in parse_backends(args.backends):
        thread_options = [int(t) for t in args.torch_threads.split(",")] if backend == "torch" else [None]
        for threads in thread_options:
            timings.append(_measure(model, backend, threads, queries, args.budget_s))
    out = args.out or results_dir()
    out.mkdir(parents=True, exist_ok=True)
    write_json(
        out / f"{args.label}.json",
        {"machine": describe_machine(), "model": model, "timings": [t.to_dict() for t in timings]},
    )
    table = markdown(timings)
    (out / f"{args.label}.md").write_text(f"# {args.label}\n\n{table}", encoding="utf-8")
    print(table)
