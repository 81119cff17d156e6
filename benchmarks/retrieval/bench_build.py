"""Build-time benchmark: raw 20-filing corpus → searchable index, cold (no embedding cache) and warm.

python benchmarks/retrieval/bench_build.py --model <minilm folder> --label L [--variants overlap,sequential]

Each variant is one cold build in this process, one after the other: `overlap` embeds each file while the
others are still parsed (the default), `sequential` parses everything first (the previous pipeline).
Wall and CPU seconds are recorded per variant; results/build_<label>.json and .md.
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
from retriever.index.manifest import MANIFEST_FILE, IndexManifest
from retriever.sources.local import read_corpus


def shared_dir() -> Path:
    env = os.environ.get("SHARED_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[3] / "shared"


def cpu_seconds() -> float:
    """User+system CPU time of this process and its reaped children (the parsing workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime + children_cpu_seconds()


def children_cpu_seconds() -> float:
    """User+system CPU time of reaped child processes (the parse workers)."""
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return kids.ru_utime + kids.ru_stime


def compare_variants(work: Path, variants: list[str]) -> dict[str, object]:
    """Same chunks in every variant's index, and how close their vectors are (batching differs)."""
    from retriever.index.layout import resolve_version_dir
    from retriever.index.store import CHUNKS_FILE, ChunkStore
    from retriever.index.vectors import load_vectors

    loaded = {}
    for name in variants:
        folder = resolve_version_dir(work / f"index-{name}")
        assert folder is not None
        loaded[name] = (ChunkStore.load(folder / CHUNKS_FILE).hashes, load_vectors(folder)[1])
    first_hashes, first_vectors = loaded[variants[0]]
    out: dict[str, object] = {}
    for name in variants[1:]:
        hashes, vectors = loaded[name]
        same = hashes == first_hashes
        cos = (vectors * first_vectors).sum(axis=1) if same else None
        out[f"{variants[0]}_vs_{name}"] = {
            "same_chunks": same,
            "min_cosine": None if cos is None else round(float(cos.min()), 6),
            "max_abs_diff": None if not same else float(abs(vectors - first_vectors).max()),
        }
    return out


def markdown(report: dict) -> str:  # type: ignore[type-arg]
    """Short table: one row per cold variant, then the warm rebuild."""
    lines = [
        f"cold build of {report['files']} filings, {report['chunks']} chunks, {report['index_type']} "
        f"(load average after: {report['machine']['loadavg_after']})",
        "",
        "| variant | wall s | CPU s (parse workers) | parse+chunk s | embed s (busy) | embed after parsing s "
        "| index s | chunks/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, run in report["cold_variants"].items():
        lines.append(
            f"| {name} | {run['total_s']} | {run['cpu_s']} ({run['cpu_s_parse_workers']}) "
            f"| {run['parse_chunk_s']} | {run['embed_s']} ({run['embed_busy_s']}) | {run['embed_wait_s']} "
            f"| {run['index_s']} "
            f"| {run['chunks_per_s_end_to_end']} |"
        )
    warm = report["warm_caches"]
    lines.append(
        f"| warm caches | {warm['total_s']} | | {warm['parse_chunk_s']} | {warm['embed_s']} | | "
        f"{warm['index_s']} | |"
    )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--backend", default="onnx", choices=["onnx", "torch"])
    parser.add_argument("--chunk-tokens", type=int, default=ChunkerParams().chunk_tokens)
    parser.add_argument("--overlap-tokens", type=int, default=ChunkerParams().overlap_tokens)
    parser.add_argument("--index-type", default="auto", choices=["auto", "flat", "hnsw", "ivf-sq8"])
    parser.add_argument("--variants", default="overlap", help="comma-separated: overlap, sequential")
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
    cold_runs: dict[str, dict[str, float]] = {}
    cold = None
    for variant in [v.strip() for v in args.variants.split(",") if v.strip()]:
        # A fresh embedding cache per variant: every build is cold.
        cache = EmbeddingCache.for_embedder(work / f"emb-cache-{variant}", embedder)
        t = time.perf_counter()
        cpu0, kids0 = cpu_seconds(), children_cpu_seconds()
        result = build_index(
            docs,
            embedder,
            work / f"index-{variant}",
            params=params,
            index_type=args.index_type,
            cache=cache,
            reuse_previous=False,
            show_progress=True,
            overlap=variant == "overlap",
        )
        wall = time.perf_counter() - t
        cpu = cpu_seconds() - cpu0
        cold_runs[variant] = {
            "total_s": round(wall, 2),
            **{k: round(v, 2) for k, v in result.timings.items()},
            "chunks_per_s_end_to_end": round(result.chunk_count / wall, 1),
            "cpu_s": round(cpu, 1),
            "cpu_s_parse_workers": round(children_cpu_seconds() - kids0, 1),
            "idle_machine_estimate_s": round(cpu / (os.cpu_count() or 1), 1),
            "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        }
        if cold is None:
            cold, first = result, variant
    assert cold is not None
    agreement = compare_variants(work, list(cold_runs))
    t = time.perf_counter()
    index = SearchIndex.load(cold.folder.parent.parent, embedder)
    index.search("What was total net sales?", k=5, filters={"type": "eq", "key": "ticker", "value": "AAPL"})
    cold_runs[first]["load_and_first_query_s"] = round(time.perf_counter() - t, 2)
    load_after = os.getloadavg()
    if args.keep:
        shutil.rmtree(args.keep, ignore_errors=True)
        shutil.copytree(work / f"index-{first}", args.keep, symlinks=True)

    t = time.perf_counter()
    warm = build_index(
        docs,
        embedder,
        work / "index-warm",
        params=params,
        index_type=args.index_type,
        cache=EmbeddingCache.for_embedder(work / f"emb-cache-{first}", embedder),
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
        "index_type": cold.version
        and IndexManifest.model_validate_json((cold.folder / MANIFEST_FILE).read_text()).index_type,
        "chunks": cold.chunk_count,
        "model_load_and_export_s": round(model_load_s, 2),
        "cold": cold_runs[first],
        "cold_variants": cold_runs,
        "variants_agreement": agreement,
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
    path.with_suffix(".md").write_text(markdown(report))
    print(json.dumps(report, indent=2))
    print(markdown(report))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
