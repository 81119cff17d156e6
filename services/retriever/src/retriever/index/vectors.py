"""FAISS inner-product index over normalised vectors (flat or HNSW) and exact subset search."""

from pathlib import Path

import faiss
import numpy as np

FAISS_FILE = "index.faiss"
VECTORS_FILE = "vectors.npy"
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_SEARCH = 128


def build_faiss(vectors: np.ndarray, index_type: str) -> faiss.Index:
    """Inner-product index whose ids are row numbers."""
    dim = vectors.shape[1]
    if index_type == "hnsw":
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    else:
        index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def save_vectors(folder: Path, index: faiss.Index, vectors: np.ndarray) -> None:
    """Write the FAISS index and the raw vectors (kept for subset search and incremental reuse)."""
    faiss.write_index(index, str(folder / FAISS_FILE))
    np.save(folder / VECTORS_FILE, np.ascontiguousarray(vectors, dtype=np.float32))


def load_vectors(folder: Path) -> tuple[faiss.Index, np.ndarray]:
    """Read the FAISS index and the raw vectors."""
    index = faiss.read_index(str(folder / FAISS_FILE))
    vectors = np.load(folder / VECTORS_FILE)
    return index, vectors


def top_k(scores: np.ndarray, ids: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k best (ids, scores), best first."""
    if len(scores) > k:
        part = np.argpartition(-scores, k - 1)[:k]
        ids, scores = ids[part], scores[part]
    order = np.argsort(-scores, kind="stable")
    return ids[order], scores[order]


def dense_search(
    index: faiss.Index, vectors: np.ndarray, query: np.ndarray, k: int, mask: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Top-k by inner product; with a mask, search exactly within the matching rows (no shortfall)."""
    if k <= 0 or index.ntotal == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    if mask is None:
        scores, ids = index.search(query[None, :], min(k, index.ntotal))
        keep = ids[0] >= 0
        return ids[0][keep].astype(np.int64), scores[0][keep]
    subset = np.flatnonzero(mask)
    if len(subset) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    # Brute force over the selected rows is exact and, at 10-K corpus scale, faster than a selector.
    sims = vectors[subset] @ query
    return top_k(sims.astype(np.float32), subset.astype(np.int64), k)
