"""FAISS inner-product indexes over normalised vectors (exact or approximate) and filtered search."""

import logging
import math
from pathlib import Path
from typing import get_args

import faiss
import numpy as np
from retriever.index.manifest import IndexType

logger = logging.getLogger(__name__)

FAISS_FILE = "index.faiss"
VECTORS_FILE = "vectors.npy"

INDEX_TYPES: tuple[str, ...] = get_args(IndexType)

HNSW_M = 32
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_SEARCH = 128
# IVF: lists of ~500-1000 vectors, enough probed for recall@10 >= 0.95 against the exact scan
# (benchmarks/README.md, "Search at scale"); PQ codes are re-scored with the exact vectors.
IVF_NPROBE = 32
IVF_TRAIN_PER_LIST = 64
IVF_KMEANS_ITERATIONS = 10
PQ_SUBQUANTIZERS = 48
PQ_RESCORE_FACTOR = 8
# Below this many chunks `auto` builds the exact flat index: one scan of 100k x 384 floats takes ~4 ms on
# one core, above it the scan alone breaks the 10 ms search budget.
AUTO_EXACT_MAX_CHUNKS = 100_000
# A filter matching at most this many rows is answered by an exact scan of those rows (~2 ms), never by an
# approximate index, so a selective filter returns k hits whenever k chunks match.
EXACT_SCAN_MAX_ROWS = 50_000
ADD_BLOCK_ROWS = 65_536


def choose_index_type(chunks: int) -> IndexType:
    """The index `auto` builds: exact flat for small corpora, IVF with 8-bit scalar codes above."""
    return "flat" if chunks <= AUTO_EXACT_MAX_CHUNKS else "ivf-sq8"


def ivf_lists(chunks: int) -> int:
    """Number of IVF lists: a power of two near 2·sqrt(n)."""
    return max(16, 2 ** round(math.log2(2 * math.sqrt(max(chunks, 1)))))


def factory_string(index_type: str, dim: int, chunks: int) -> str:
    """FAISS index_factory description of an index type."""
    match index_type:
        case "flat":
            return "Flat"
        case "hnsw":
            return f"HNSW{HNSW_M},Flat"
        case "hnsw-sq8":
            return f"HNSW{HNSW_M},SQ8"
        case "ivf-sq8":
            return f"IVF{ivf_lists(chunks)},SQ8"
        case "ivf-pq":
            return f"IVF{ivf_lists(chunks)},PQ{PQ_SUBQUANTIZERS}x8"
    raise ValueError(f"unknown index type {index_type!r}; expected one of {', '.join(INDEX_TYPES)}")


def build_faiss(vectors: np.ndarray, index_type: str, *, seed: int = 1234) -> faiss.Index:
    """Inner-product index whose ids are row numbers (vectors may be a memory map: added in blocks)."""
    threads = faiss.omp_get_max_threads()
    if len(vectors) <= AUTO_EXACT_MAX_CHUNKS:
        # Training runs thousands of tiny OpenMP regions (PQ: 48 k-means); on a busy machine libgomp's
        # spinning barriers stall them for minutes, and at this size one thread is as fast.
        faiss.omp_set_num_threads(1)
    try:
        return _build(vectors, index_type, seed)
    finally:
        faiss.omp_set_num_threads(threads)


def _build(vectors: np.ndarray, index_type: str, seed: int) -> faiss.Index:
    rows, dim = vectors.shape
    if index_type.startswith("ivf") and rows < IVF_TRAIN_PER_LIST * ivf_lists(rows) // 4:
        # Too few vectors to train the lists: an exact index is both correct and fast at this size.
        logger.info("%d vectors are too few for %s; building an exact index", rows, index_type)
        index_type = "flat"
    index = faiss.index_factory(dim, factory_string(index_type, dim, rows), faiss.METRIC_INNER_PRODUCT)
    if isinstance(index, faiss.IndexHNSW):
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    ivf = _ivf(index)
    if ivf is not None:
        ivf.cp.niter = IVF_KMEANS_ITERATIONS
        ivf.cp.seed = seed
        ivf.nprobe = IVF_NPROBE
    if isinstance(ivf, faiss.IndexIVFPQ):
        # Polysemous codes only help Hamming-distance filtering, which the search does not use.
        ivf.do_polysemous_training = False
    if not index.is_trained and rows:
        per_list = IVF_TRAIN_PER_LIST * (ivf.nlist if ivf is not None else 4096)
        sample = np.sort(np.random.default_rng(seed).permutation(rows)[:per_list])
        index.train(np.ascontiguousarray(vectors[sample], dtype=np.float32))
    for lo in range(0, rows, ADD_BLOCK_ROWS):
        index.add(np.ascontiguousarray(vectors[lo : lo + ADD_BLOCK_ROWS], dtype=np.float32))
    return index


def save_vectors(folder: Path, index: faiss.Index, vectors: np.ndarray) -> None:
    """Write the FAISS index and the raw vectors (kept for subset search and incremental reuse)."""
    faiss.write_index(index, str(folder / FAISS_FILE))
    np.save(folder / VECTORS_FILE, np.ascontiguousarray(vectors, dtype=np.float32))


def is_exact(index: faiss.Index) -> bool:
    """True for the flat index, whose search is an exact scan."""
    return isinstance(index, faiss.IndexFlat)


def load_vectors(folder: Path) -> tuple[faiss.Index, np.ndarray]:
    """Read the FAISS index and the raw vectors.

    Beside an approximate index the raw float32 vectors stay on disk (memory-mapped): only the rows of a
    filtered exact scan or a re-scoring are read, so RAM holds the compressed codes alone.
    """
    index = faiss.read_index(str(folder / FAISS_FILE))
    vectors = np.load(folder / VECTORS_FILE, mmap_mode=None if is_exact(index) else "r")
    return index, vectors


def top_k(scores: np.ndarray, ids: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k best (ids, scores), best first."""
    if len(scores) > k:
        part = np.argpartition(-scores, k - 1)[:k]
        ids, scores = ids[part], scores[part]
    order = np.argsort(-scores, kind="stable")
    return ids[order], scores[order]


def exact_scan(
    vectors: np.ndarray, query: np.ndarray, rows: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-k among the given (sorted) rows."""
    if len(rows) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    sims = np.asarray(vectors[rows] @ query, dtype=np.float32)
    return top_k(sims, rows.astype(np.int64), k)


def _ivf(index: faiss.Index) -> faiss.IndexIVF | None:
    """The IVF part of an index as its concrete class (IndexIVFPQ, IndexIVFScalarQuantizer), or None."""
    ivf = faiss.try_extract_index_ivf(index)
    return None if ivf is None else faiss.downcast_index(ivf)


def _rescore_factor(index: faiss.Index) -> int:
    ivf = _ivf(index)
    return PQ_RESCORE_FACTOR if isinstance(ivf, faiss.IndexIVFPQ) else 1


def _search_params(index: faiss.Index, selector: faiss.IDSelector) -> faiss.SearchParameters:
    if isinstance(index, faiss.IndexHNSW):
        return faiss.SearchParametersHNSW(sel=selector, efSearch=index.hnsw.efSearch)
    ivf = _ivf(index)
    if ivf is not None:
        return faiss.SearchParametersIVF(sel=selector, nprobe=ivf.nprobe)
    return faiss.SearchParameters(sel=selector)


def _approximate(
    index: faiss.Index, vectors: np.ndarray, query: np.ndarray, k: int, mask: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    factor = _rescore_factor(index)
    want = min(k * factor, index.ntotal)
    if mask is None:
        scores, ids = index.search(query[None, :], want)
    else:
        bitmap = np.packbits(mask, bitorder="little")
        selector = faiss.IDSelectorBitmap(len(mask), faiss.swig_ptr(bitmap))
        scores, ids = index.search(query[None, :], want, params=_search_params(index, selector))
    keep = ids[0] >= 0
    found, sims = ids[0][keep].astype(np.int64), scores[0][keep]
    if factor > 1 and len(found):
        return exact_scan(vectors, query, np.sort(found), k)
    return found[:k], sims[:k]


def dense_search(
    index: faiss.Index, vectors: np.ndarray, query: np.ndarray, k: int, mask: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Top-k by inner product; with a mask, only matching rows, and k of them whenever k rows match.

    Exact indexes and selective filters scan the matching rows exactly. An approximate index searches a
    broad filter with an id selector and falls back to the exact scan if that finds fewer than k.
    """
    if k <= 0 or index.ntotal == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    if mask is None:
        if is_exact(index):
            scores, ids = index.search(query[None, :], min(k, index.ntotal))
            keep = ids[0] >= 0
            return ids[0][keep].astype(np.int64), scores[0][keep]
        return _approximate(index, vectors, query, k, None)
    matched = int(np.count_nonzero(mask))  # the rows themselves are listed only for an exact scan
    if is_exact(index) or matched <= EXACT_SCAN_MAX_ROWS:
        return exact_scan(vectors, query, np.flatnonzero(mask), k)
    ids, scores = _approximate(index, vectors, query, k, mask)
    if len(ids) < min(k, matched):
        logger.debug("approximate filtered search found %d of %d; exact scan", len(ids), k)
        return exact_scan(vectors, query, np.flatnonzero(mask), k)
    return ids, scores
