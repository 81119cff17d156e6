"""Build-time benchmark: raw 20-filing corpus → searchable index, cold (no embedding cache) and warm.

python benchmarks/retrieval/bench_build.py --model <minilm folder> --label onnx-200
"""

import argparse
import json
import os
import platform
import resource
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from retriever.chunking import ChunkerParams
from retriever.embedder import Embedder
from retriever.embedding.cache import EmbeddingCache
from retriever.index import SearchIndex
from retriever.index.builder import build_index
from retriever.sources.local import read_corpus


def shared_dir() -> Path:
    env = os.environ.get("SHARED_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[3] / "shared"


def cpu_seconds() -> float:
    """User+system CPU time of this process and its reaped children (the parsing workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--backend", default="onnx", choices=["onnx", "torch"])
    parser.add_argument("--chunk-tokens", type=int, default=ChunkerParams().chunk_tokens)
    parser.add_argument("--overlap-tokens", type=int, default=ChunkerParams().overlap_tokens)
    parser.add_argument("--index-type", default="flat", choices=["flat", "hnsw"])
    parser.add_argument("--label", default="run")
    parser.add_argument("--keep", type=Path, help="copy the built index root here (for eval_recall.py)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()

    docs = read_corpus(shared_dir() / "corpus" / "10k")
    work = Path(tempfile.mkdtemp(prefix="rag-bench-"))
    load_before = os.getloadavg()
    t = time.perf_counter()
    embedder = Embedder(args.model, backend=args.backend, cache_dir=work / "model-cache")
    model_load_s = time.perf_counter() - t  # includes the one-time ONNX export + int8 quantisation
    params = ChunkerParams(chunk_tokens=args.chunk_tokens, overlap_tokens=args.overlap_tokens)
    cache = EmbeddingCache(work / "emb-cache", embedder.fingerprint, embedder.dimension)

    t = time.perf_counter()
    cpu0 = cpu_seconds()
    cold = build_index(
        docs,
        embedder,
        work / "index",
        params=params,
        index_type=args.index_type,
        cache=cache,
        reuse_previous=False,
        show_progress=True,
    )
    cold_s = time.perf_counter() - t
    cold_cpu = cpu_seconds() - cpu0
    t = time.perf_counter()
    index = SearchIndex.load(work / "index", embedder)
    index.search("What was total net sales?", k=5, filters={"type": "eq", "key": "ticker", "value": "AAPL"})
    first_query_s = time.perf_counter() - t
    load_after = os.getloadavg()
    if args.keep:
        shutil.rmtree(args.keep, ignore_errors=True)
        shutil.copytree(work / "index", args.keep, symlinks=True)

    t = time.perf_counter()
    warm = build_index(
        docs,
        embedder,
        work / "index-warm",
        params=params,
        index_type=args.index_type,
        cache=cache,
        reuse_previous=False,
    )
    warm_s = time.perf_counter() - t

    report = {
        "label": args.label,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in load_after],
        },
        "files": len(docs),
        "backend": args.backend,
        "chunker": params.model_dump(),
        "index_type": args.index_type,
        "chunks": cold.chunk_count,
        "model_load_and_export_s": round(model_load_s, 2),
        "cold": {
            "total_s": round(cold_s, 2),
            **{k: round(v, 2) for k, v in cold.timings.items()},
            "chunks_per_s_end_to_end": round(cold.chunk_count / cold_s, 1),
            # The machine is shared; CPU seconds / cores estimates the wall time on an idle machine.
            "cpu_s": round(cold_cpu, 1),
            "idle_machine_estimate_s": round(cold_cpu / (os.cpu_count() or 1), 1),
            "chunks_per_s_embedding": round(cold.chunk_count / cold.timings["embed_s"], 1),
            "load_and_first_query_s": round(first_query_s, 2),
        },
        "warm_caches": {
            "total_s": round(warm_s, 2),
            "embedded": warm.embedded,
            **{k: round(v, 2) for k, v in warm.timings.items()},
        },
    }
    shutil.rmtree(work, ignore_errors=True)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"build_{args.label}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
