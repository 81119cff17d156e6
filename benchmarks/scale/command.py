"""``python -m benchmarks scale``: build/load/search time, memory and recall per index type at N chunks."""

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from retriever.index.store import CHUNKS_FILE

from benchmarks.loadgen.machine import describe_machine, results_dir
from benchmarks.loadgen.report import write_json
from benchmarks.scale import corpus

logger = logging.getLogger(__name__)

DENSE_TYPES = ("flat", "hnsw", "hnsw-sq8", "ivf-sq8", "ivf-pq")


def add_parser(subparsers: Any) -> None:
    """Register the ``scale`` subcommand."""
    parser = subparsers.add_parser(
        "scale", help="index types at millions of chunks: memory, load, search, recall"
    )
    parser.add_argument(
        "--chunks", default="1000000", help="comma-separated corpus sizes, e.g. 1000000,3000000"
    )
    parser.add_argument("--types", default=",".join(DENSE_TYPES), help="dense index types (BM25 always runs)")
    parser.add_argument(
        "--base-index", type=Path, default=Path(".cache/index/local"), help="a built 20-filing index"
    )
    parser.add_argument("--model", default=None, help="embedder of the base index (default: offline MiniLM)")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--work", type=Path, default=Path("/tmp/rag-scale"), help="scratch folder (GBs)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch data after the run")
    parser.add_argument("--label", default="scale")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=7)
    parser.set_defaults(handler=main)


def _worker(*args: str) -> dict[str, Any]:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.scale.worker", *args], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-3:]
        logger.warning("worker %s failed (%d): %s", " ".join(args), proc.returncode, " | ".join(tail))
        return {"error": f"exit {proc.returncode}: {' | '.join(tail)}"}
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_wall_s"] = round(time.perf_counter() - started, 1)
    return result


def _embed_queries(model: str | None, count: int, seed: int) -> tuple[np.ndarray, list[str]]:
    from retriever.embedder import Embedder

    from benchmarks.loadgen.prompts import load_prompts
    from benchmarks.overhead.stack import default_embedding_model

    questions = load_prompts("fqa10k", count, seed=seed)
    embedder = Embedder(model or default_embedding_model(), backend="onnx")
    return embedder.embed_queries(questions), questions


def prepare(
    base: corpus.Base, n: int, work: Path, queries: np.ndarray, questions: list[str], seed: int
) -> dict:
    """Synthetic vectors, filter columns, text store, filters and exact ground truth for n chunks."""
    work.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    corpus.write_vectors(base, n, work / "vectors.npy", seed)
    cols = corpus.columns(base, n)
    corpus.write_store(base, n, work / CHUNKS_FILE)
    corpus.save_json(work / "base_lexical_texts.json", base.lexical_texts)
    filters = corpus.query_filters(cols, len(queries), seed)
    corpus.save_json(work / "filters.json", filters)
    corpus.save_json(work / "questions.json", questions)
    np.save(work / "queries.npy", queries)
    from retriever.filters import evaluate, parse_filter

    vectors = np.load(work / "vectors.npy", mmap_mode="r")
    truth = {"unfiltered": corpus.ground_truth(vectors, queries, [None] * len(queries))}
    coded = corpus.filter_columns(cols)
    for mode in ("selective", "broad"):
        masks = [evaluate(parse_filter(f[mode]), coded) for f in filters]
        truth[mode] = corpus.ground_truth(vectors, queries, masks)
    np.savez(work / "truth.npz", **truth)
    meta = {
        "chunks": n,
        "base_chunks": len(base.texts),
        "issuers": len(np.unique(cols["ticker"])),
        "selective_fraction": round(
            float(
                np.mean(
                    [(cols["ticker"] == f["selective"]["filters"][0]["value"]).mean() for f in filters[:20]]
                )
            ),
            6,
        ),
        "broad_fraction": round(float((cols["fiscal_year"] == 2023).mean()), 4),
        "prepare_s": round(time.perf_counter() - t, 1),
        "vectors_file_bytes": (work / "vectors.npy").stat().st_size,
        "store_file_bytes": (work / CHUNKS_FILE).stat().st_size,
    }
    corpus.save_json(work / "meta.json", meta)
    return meta


def run_size(
    base: corpus.Base, n: int, types: list[str], args: argparse.Namespace, q: np.ndarray, questions: list[str]
) -> dict:
    """Everything measured at one corpus size."""
    work = args.work / str(n)
    meta = prepare(base, n, work, q, questions, args.seed)
    logger.warning("prepared %d chunks in %.0f s", n, meta["prepare_s"])
    out: dict[str, Any] = {"corpus": meta, "bm25": {"build": _worker("build-bm25", str(work))}, "dense": {}}
    for index_type in types:
        build = _worker("build-dense", str(work), index_type)
        serve = _worker("serve", str(work), index_type) if "error" not in build else {"error": "not built"}
        out["dense"][index_type] = {"build": build, "serve": serve}
        logger.warning(
            "%d chunks, %s: %s", n, index_type, json.dumps(serve.get("search_ms", {}).get("unfiltered", {}))
        )
        (work / index_type / "index.faiss").unlink(missing_ok=True)
    if not args.keep:
        shutil.rmtree(work)
    return out


def markdown(results: dict[str, Any]) -> str:
    """One table per size: a row per index type, then BM25 and the hybrid search."""
    lines: list[str] = []
    for n, res in results["sizes"].items():
        meta = res["corpus"]
        lines += [
            f"### {int(n):,} chunks ({meta['issuers']:,} issuers; selective filter"
            f" {100 * meta['selective_fraction']:.3f} % of chunks,"
            f" broad {100 * meta['broad_fraction']:.1f} %)",
            "",
            "| index | build s (CPU s) | load s | dense B/chunk | all-in B/chunk (anon) "
            "| dense p50/p95 ms: none · selective · broad | recall@10: none · sel · broad "
            "| hybrid p50/p95 ms: none · selective · broad |",
            "|---|---:|---:|---:|---:|---|---|---|",
        ]
        for name, entry in res["dense"].items():
            b, s = entry["build"], entry["serve"]
            if "error" in s:
                lines.append(f"| {name} | {b.get('build_s', '-')} | - | - | - | {s['error']} | | |")
                continue
            ms = s["search_ms"]
            dense = " · ".join(f"{ms[m]['dense']['p50']:.2f}/{ms[m]['dense']['p95']:.2f}" for m in ms)
            hybrid = " · ".join(f"{ms[m]['hybrid']['p50']:.2f}/{ms[m]['hybrid']['p95']:.2f}" for m in ms)
            rec = " · ".join(f"{s['recall_at_10'][m]:.3f}" for m in ms)
            bpc = s["bytes_per_chunk"]
            lines.append(
                f"| {name} | {b['build_s']} ({b['build_cpu_s']}) | {s['load_s']['total']}"
                f" | {bpc['dense']:.0f} | {bpc['all_in_after_queries']:.0f}"
                f" ({bpc['all_in_anon_after_queries']:.0f}) | {dense} | {rec} | {hybrid} |"
            )
        bm = res["bm25"]["build"]
        first = next((e["serve"] for e in res["dense"].values() if "error" not in e["serve"]), None)
        if first and "error" not in bm:
            ms = first["search_ms"]
            bm25 = " · ".join(f"{ms[m]['bm25']['p50']:.2f}/{ms[m]['bm25']['p95']:.2f}" for m in ms)
            filt = " · ".join(f"{ms[m]['filter']['p50']:.2f}/{ms[m]['filter']['p95']:.2f}" for m in ms)
            exact = first.get("bm25_top50_score_ratio", {})
            rec = " · ".join(f"{exact[m]:.3f}" for m in ms if m in exact)
            lines.append(
                f"| BM25 | {bm['build_s']} ({bm['build_cpu_s']}) | {first['load_s']['bm25']} |"
                f" {first['bytes_per_chunk']['bm25']:.0f} | | {bm25} (filter mask: {filt}) |"
                f" {rec + ' (BM25 score mass of the top 50 vs exact)' if rec else ''} | |"
            )
            lines.append(
                f"| chunk store (texts on disk) | | {first['load_s']['store']} | "
                f"{first['bytes_per_chunk']['store']:.0f} | | | | |"
            )
        lines.append("")
    return "\n".join(lines)


def main(args: argparse.Namespace) -> None:
    """Run every size and index type; write JSON and a markdown table."""
    sizes = [int(x) for x in args.chunks.split(",") if x.strip()]
    types = [t.strip() for t in args.types.split(",") if t.strip()]
    unknown = set(types) - set(DENSE_TYPES)
    if unknown:
        raise SystemExit(f"unknown index types {sorted(unknown)}; choose from {', '.join(DENSE_TYPES)}")
    base = corpus.load_base(args.base_index)
    queries, questions = _embed_queries(args.model, args.queries, args.seed)
    results: dict[str, Any] = {
        "machine": describe_machine(),
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
        "base_index": str(base.folder),
        "types": types,
        "sizes": {},
    }
    for n in sizes:
        results["sizes"][str(n)] = run_size(base, n, types, args, queries, questions)
    results["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    out = args.out or results_dir()
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / f"{args.label}.json", results)
    (out / f"{args.label}.md").write_text(markdown(results) + "\n", encoding="utf-8")
    print(markdown(results))
    print(f"wrote {out / args.label}.json")
