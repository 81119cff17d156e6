"""`python -m benchmarks scale` end to end at 20k chunks, from a small real-format base index."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from retriever.hits import ChunkMetadata
from retriever.index.layout import publish, staging_dir
from retriever.index.manifest import MANIFEST_FILE
from retriever.index.store import CHUNKS_FILE, write_chunks
from retriever.index.vectors import VECTORS_FILE

from benchmarks.scale import corpus

REPO_ROOT = Path(__file__).resolve().parents[2]
WORDS = [
    "revenue",
    "net",
    "sales",
    "operating",
    "income",
    "cash",
    "flow",
    "segment",
    "risk",
    "factors",
    "tax",
    "lease",
    "debt",
    "dividend",
]


def _base_index(root: Path, rows: int = 200, dim: int = 384) -> Path:
    """An index version with real files (chunks.sqlite, vectors.npy) of synthetic chunks of 4 filings."""
    rng = np.random.default_rng(0)
    tickers = ["AAPL", "MSFT", "TSLA", "NVDA"]
    texts, metadata = [], []
    for i in range(rows):
        ticker, year = tickers[i % 4], 2022 + (i // 4) % 3
        texts.append(" ".join(rng.choice(WORDS, size=30)))
        metadata.append(
            ChunkMetadata(
                f"{ticker}_FY{year}",
                ticker,
                ticker,
                "1",
                "10-K",
                year,
                None,
                None,
                None,
                "7",
                "MD&A",
                None,
                0,
                1,
                None,
                f"{ticker}.html",
            )
        )
    vectors = rng.standard_normal((rows, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    staged = staging_dir(root)
    write_chunks(
        staged / CHUNKS_FILE, texts, metadata, [str(i) for i in range(rows)], [30] * rows, [""] * rows
    )
    np.save(staged / VECTORS_FILE, vectors)
    # The benchmark reads only chunks and vectors; a version folder is recognised by its manifest file.
    (staged / MANIFEST_FILE).write_text("{}")
    publish(root, staged, "base")
    return root


def test_ground_truth_block_scan_equals_a_full_scan(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((corpus.BLOCK + 500, 8)).astype(np.float32)
    queries = rng.standard_normal((3, 8)).astype(np.float32)
    truth = corpus.ground_truth(vectors, queries, [None, None, None])
    assert truth.tolist() == np.argsort(-(queries @ vectors.T), axis=1)[:, : corpus.GT_K].tolist()


@pytest.mark.slow
def test_scale_command_measures_every_type_at_20k_chunks(tmp_path: Path) -> None:
    base = _base_index(tmp_path / "base")
    out = tmp_path / "out"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "scale",
            "--chunks",
            "20000",
            "--queries",
            "12",
            "--types",
            "flat,ivf-sq8,hnsw-sq8",
            "--base-index",
            str(base),
            "--work",
            str(tmp_path / "work"),
            "--out",
            str(out),
            "--label",
            "smoke",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads((out / "smoke.json").read_text())
    size = result["sizes"]["20000"]
    assert size["corpus"]["issuers"] == 4 * 100  # 100 replicas of 4 tickers
    assert "error" not in size["bm25"]["build"] and size["bm25"]["build"]["postings_per_chunk"] > 0
    for name in ("flat", "ivf-sq8", "hnsw-sq8"):
        serve = size["dense"][name]["serve"]
        assert "error" not in serve, serve
        assert serve["shortfalls"] == 0
        assert set(serve["search_ms"]) == {"unfiltered", "selective", "broad"}
        assert serve["search_ms"]["selective"]["hybrid"]["p95"] > 0
    assert size["dense"]["flat"]["serve"]["recall_at_10"] == {
        "unfiltered": 1.0,
        "selective": 1.0,
        "broad": 1.0,
    }
    assert size["dense"]["ivf-sq8"]["serve"]["recall_at_10"]["selective"] == 1.0  # exact scan of the filing
    assert "| ivf-sq8 |" in (out / "smoke.md").read_text()
    assert not (tmp_path / "work" / "20000").exists()  # scratch data removed without --keep
