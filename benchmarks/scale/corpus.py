"""A large synthetic corpus from a real index: chunks replicated under synthetic issuers, vectors perturbed.

Replica r of base row i is row r * B + i. Its ticker is the base ticker with a replica suffix (``AAPL`` ->
``AAPL-0042``), so one synthetic company-year is one real filing's chunks and the fiscal years keep their
real spread; text (for BM25) is the base row's text; the vector is the base vector plus Gaussian noise,
renormalised (cosine ~0.9 to the original), so every replica has its own neighbours.
"""

import json
import logging
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from retriever.filters import CodedStrings, Column
from retriever.hits import ChunkMetadata
from retriever.index.layout import resolve_version_dir
from retriever.index.store import CHUNKS_FILE, ChunkStore, write_chunks
from retriever.index.vectors import VECTORS_FILE, exact_scan

logger = logging.getLogger(__name__)

BLOCK = 65_536
NOISE = 0.5  # norm of the added noise relative to the unit vector
GT_K = 10


@dataclass(frozen=True)
class Base:
    """The real index the synthetic corpus is made of."""

    folder: Path
    texts: list[str]
    lexical_texts: list[str]
    tickers: list[str]
    years: np.ndarray
    vectors: np.ndarray
    metadata: list[ChunkMetadata]
    hashes: list[str]
    titles: list[str]
    tokens: np.ndarray


def load_base(index_root: Path) -> Base:
    """Every row of a built index: texts, metadata, titles, token counts and vectors."""
    folder = resolve_version_dir(index_root)
    if folder is None:
        raise SystemExit(f"no index at {index_root}; build one with `rag-index build` first")
    store = ChunkStore.load(folder / CHUNKS_FILE)
    texts, titles, metadata = list(store.texts), list(store.page_titles), list(store.metadata)
    return Base(
        folder,
        texts,
        [f"{title}\n{text}" if title else text for title, text in zip(titles, texts, strict=True)],
        [m.ticker for m in metadata],
        np.array([m.fiscal_year or 0 for m in metadata], dtype=np.int32),
        np.load(folder / VECTORS_FILE),
        metadata,
        list(store.hashes),
        titles,
        store.tokens,
    )


def synthetic_ticker(ticker: str, replica: int) -> str:
    """The issuer a replica's copy of a real filing is filed under."""
    return ticker if replica == 0 else f"{ticker}-{replica:04d}"


def base_rows(n: int, base_size: int) -> np.ndarray:
    """Base row of each synthetic row."""
    return np.arange(n, dtype=np.int64) % base_size


def columns(base: Base, n: int) -> dict[str, np.ndarray]:
    """Filter columns in the ChunkStore's layout (str ticker, float fiscal year) for n synthetic rows."""
    rows = base_rows(n, len(base.texts))
    replica = np.arange(n) // len(base.texts)
    unique = sorted({(t, int(r)) for t, r in zip(np.array(base.tickers)[rows], replica, strict=True)})
    names = {key: synthetic_ticker(*key) for key in unique}
    ticker = np.array([names[(base.tickers[b], int(r))] for b, r in zip(rows, replica, strict=True)])
    return {"ticker": ticker.astype(str), "fiscal_year": base.years[rows].astype(np.float64)}


def filter_columns(cols: dict[str, np.ndarray]) -> dict[str, Column]:
    """The columns as the chunk store holds them for filters: strings coded, numbers as floats."""
    return {k: CodedStrings.of(v) if v.dtype.kind == "U" else v for k, v in cols.items()}


def write_vectors(base: Base, n: int, path: Path, seed: int) -> None:
    """n perturbed unit vectors (replica 0 = the real ones), written block by block to a .npy memory map."""
    dim = base.vectors.shape[1]
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, dim))
    rng = np.random.default_rng(seed)
    for lo in range(0, n, BLOCK):
        hi = min(lo + BLOCK, n)
        block = base.vectors[base_rows(n, len(base.texts))[lo:hi]].astype(np.float32)
        replica = np.arange(lo, hi) // len(base.texts)
        noise = rng.standard_normal(block.shape, dtype=np.float32) * (NOISE / np.sqrt(dim))
        block += noise * (replica > 0)[:, None]
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[lo:hi] = block
    out.flush()
    del out


def replica_metadata(meta: ChunkMetadata, replica: int) -> ChunkMetadata:
    """Replica r's copy of a base chunk: its filing under a synthetic issuer (replica 0 is the real one)."""
    if replica == 0:
        return meta
    return replace(meta, ticker=synthetic_ticker(meta.ticker, replica), doc_id=f"{meta.doc_id}-{replica:04d}")


def write_store(base: Base, n: int, path: Path) -> None:
    """The gateway's chunks.sqlite (`write_chunks`) of n synthetic rows: what `ChunkStore.load` reads."""
    path.unlink(missing_ok=True)
    size = len(base.texts)
    rows = base_rows(n, size).tolist()
    write_chunks(
        path,
        [base.texts[b] for b in rows],
        [replica_metadata(base.metadata[b], i // size) for i, b in enumerate(rows)],
        [base.hashes[b] for b in rows],
        base.tokens[rows].tolist(),
        [base.titles[b] for b in rows],
    )


def query_filters(cols: dict[str, np.ndarray], queries: int, seed: int) -> list[dict[str, object]]:
    """Per query: a selective filter (one synthetic company-year) and the broad one (one fiscal year)."""
    rng = np.random.default_rng(seed)
    n = len(cols["ticker"])
    out = []
    for _ in range(queries):
        row = int(rng.integers(n))
        ticker, year = str(cols["ticker"][row]), int(cols["fiscal_year"][row])
        out.append(
            {
                "selective": {
                    "type": "and",
                    "filters": [
                        {"type": "eq", "key": "ticker", "value": ticker},
                        {"type": "eq", "key": "fiscal_year", "value": year},
                    ],
                },
                "broad": {"type": "eq", "key": "fiscal_year", "value": 2023},
            }
        )
    return out


def ground_truth(vectors: np.ndarray, queries: np.ndarray, masks: list[np.ndarray | None]) -> np.ndarray:
    """Exact top-10 ids per query (block scan of the memory map for the unfiltered case)."""
    out = np.full((len(queries), GT_K), -1, dtype=np.int64)
    unfiltered = [i for i, m in enumerate(masks) if m is None]
    if unfiltered:
        best = np.full((len(unfiltered), GT_K), -np.inf, dtype=np.float32)
        ids = np.zeros((len(unfiltered), GT_K), dtype=np.int64)
        q = queries[unfiltered]
        for lo in range(0, len(vectors), BLOCK):
            sims = np.asarray(vectors[lo : lo + BLOCK]) @ q.T  # (block, queries)
            cand = np.concatenate([best, sims.T], axis=1)
            cand_ids = np.concatenate([ids, np.arange(lo, lo + len(sims))[None, :].repeat(len(q), 0)], axis=1)
            top = np.argsort(-cand, axis=1, kind="stable")[:, :GT_K]
            best = np.take_along_axis(cand, top, axis=1)
            ids = np.take_along_axis(cand_ids, top, axis=1)
        out[unfiltered] = ids
    for i, mask in enumerate(masks):
        if mask is not None:
            found, _ = exact_scan(vectors, queries[i], np.flatnonzero(mask), GT_K)
            out[i, : len(found)] = found
    return out


def save_json(path: Path, data: object) -> None:
    """Small JSON side file."""
    path.write_text(json.dumps(data, indent=1))
