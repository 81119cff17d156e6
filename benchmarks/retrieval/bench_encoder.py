"""Encoder cost: CPU seconds per chunk for the torch (fp32) and ONNX (fused int8) backends.

CPU time, not wall time, is the figure that survives a busy shared machine; the idle-machine wall
time is about CPU seconds / cores because both backends keep every core busy.

    python benchmarks/retrieval/bench_encoder.py --model <minilm folder>
"""

import argparse
import json
import os
import resource
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from retriever.chunking import ChunkerParams
from retriever.embedder import Embedder
from retriever.ingest import chunk_document
from retriever.parsing import parse_file
from retriever.sources.local import read_corpus


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def shared_dir() -> Path:
    env = os.environ.get("SHARED_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[3] / "shared"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--chunks", type=int, default=256)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "encoder_cpu.json")
    args = parser.parse_args()

    doc = next(d for d in read_corpus(shared_dir() / "corpus" / "10k") if d.doc_id == "TSLA_FY2023_10K")
    cache = Path(tempfile.mkdtemp(prefix="enc-bench-"))
    embedders = {
        "torch-fp32": Embedder(args.model, backend="torch"),
        "onnx-fused-int8": Embedder(args.model, backend="onnx", cache_dir=cache),
    }
    records = chunk_document(doc, parse_file(doc.path), embedders["onnx-fused-int8"], ChunkerParams())
    texts = [r.embed_text for r in records[: args.chunks]]
    results: dict[str, dict[str, float]] = {}
    vectors: dict[str, np.ndarray] = {}
    for name, emb in embedders.items():
        emb.embed_documents(texts[:8])
        c, t = cpu_seconds(), time.perf_counter()
        vectors[name] = emb.embed_documents(texts)
        cpu, wall = cpu_seconds() - c, time.perf_counter() - t
        results[name] = {
            "cpu_s": round(cpu, 2),
            "wall_s": round(wall, 2),
            "cpu_ms_per_chunk": round(1000 * cpu / len(texts), 2),
            "idle_2core_chunks_per_s_estimate": round(len(texts) / (cpu / (os.cpu_count() or 1)), 1),
        }
    cos = (vectors["torch-fp32"] * vectors["onnx-fused-int8"]).sum(axis=1)
    report = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "chunks": len(texts),
        "mean_tokens": round(float(np.mean([embedders["torch-fp32"].count_tokens(t) for t in texts])), 1),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "backends": results,
        "cosine_onnx_vs_torch": {"mean": round(float(cos.mean()), 4), "min": round(float(cos.min()), 4)},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
