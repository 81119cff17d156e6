"""What the gateway's chunk store costs at N chunks: load time, memory and text reads of `ChunkStore`.

python -m benchmarks.scale.store_load --base-index .cache/index/local --chunks 1000000 --work /tmp/rag-store

`python -m benchmarks scale` measures the search structures (FAISS, BM25, filter columns) and reads hit texts
from a small SQLite table of its own. The gateway loads the real `chunks.sqlite` through `ChunkStore.load`:
metadata columns, filter columns and statement codes into memory, texts and page titles left on disk and read
per search. This writes a real-schema store of N rows (the base index's rows repeated under synthetic
tickers, as `scale` does) and, in a fresh process so the RSS is its own, times the load, the second stage's
per-chunk columns, and reading one search's candidate texts.
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.scale import corpus
from benchmarks.scale.worker import memory


def measure(path: Path, reads: int = 200, depth: int = 50) -> dict[str, float]:
    """In this process: ChunkStore.load, the second stage's per-chunk columns, and reading a search's texts.

    A search reads the texts and page titles of its `depth` candidates (random rows here, the worst case for
    the page cache); `reads` such reads give the p50/p95.
    """
    from retriever.index.store import ChunkStore
    from retriever.rerank.features import latest_filing

    start = memory()
    t = time.perf_counter()
    store = ChunkStore.load(path)
    load_s = time.perf_counter() - t
    loaded = memory()
    t = time.perf_counter()
    _ = store.numeric_density  # stored by write_chunks; computed only for older stores
    store.metadata.per_filing(latest_filing(store.metadata.representatives()))
    columns_s = time.perf_counter() - t
    rng = np.random.default_rng(0)
    read_ms = []
    for _ in range(reads):
        rows = rng.integers(0, len(store), depth).tolist()
        t = time.perf_counter()
        store.texts_at(rows)
        store.titles_at(rows)
        read_ms.append((time.perf_counter() - t) * 1000)
    return {
        "chunks": len(store),
        "load_s": round(load_s, 1),
        "second_stage_columns_s": round(columns_s, 1),
        "rss_bytes_per_chunk": round((loaded["VmRSS"] - start["VmRSS"]) * 2**20 / len(store), 1),
        "rss_mib": round(loaded["VmRSS"], 1),
        f"read_{depth}_texts_ms_p50": round(float(np.percentile(read_ms, 50)), 2),
        f"read_{depth}_texts_ms_p95": round(float(np.percentile(read_ms, 95)), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-index", type=Path, default=Path(".cache/index/local"))
    parser.add_argument("--chunks", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/rag-store"))
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the child process's job
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    args.work.mkdir(parents=True, exist_ok=True)
    path = args.work / f"chunks-{args.chunks}.sqlite"
    if not path.exists():
        t = time.perf_counter()
        corpus.write_store(corpus.load_base(args.base_index), args.chunks, path)
        print(f"wrote {path} in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    child = subprocess.run(
        [sys.executable, "-m", "benchmarks.scale.store_load", "--measure", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    print(child.stdout.strip())


if __name__ == "__main__":
    main()
