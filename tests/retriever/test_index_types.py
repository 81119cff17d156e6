"""Index types: the size-based default, and filtered search returning k hits on approximate indexes."""

import numpy as np
import pytest
from retriever.index import vectors as vec
from retriever.index.vectors import build_faiss, choose_index_type, dense_search, exact_scan, load_vectors


def _clustered(rows: int, dim: int = 96, seed: int = 0) -> np.ndarray:
    """Unit vectors around 50 centres, like chunks of a few filings (IVF lists are then uneven)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((50, dim)).astype(np.float32)
    data = centres[rng.integers(50, size=rows)] + 0.3 * rng.standard_normal((rows, dim)).astype(np.float32)
    return data / np.linalg.norm(data, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def data() -> np.ndarray:
    return _clustered(8_000)


def test_small_corpora_stay_exact_and_large_ones_get_ivf_sq8() -> None:
    assert choose_index_type(0) == "flat"
    assert choose_index_type(11_503) == "flat"
    assert choose_index_type(vec.AUTO_EXACT_MAX_CHUNKS) == "flat"
    assert choose_index_type(vec.AUTO_EXACT_MAX_CHUNKS + 1) == "ivf-sq8"
    assert choose_index_type(3_000_000) == "ivf-sq8"


def test_factory_strings_are_valid_faiss_descriptions() -> None:
    assert vec.factory_string("ivf-sq8", 384, 3_000_000) == "IVF4096,SQ8"
    assert vec.factory_string("ivf-pq", 384, 1_000_000) == "IVF2048,PQ48x8"
    assert vec.factory_string("hnsw-sq8", 384, 10) == "HNSW32,SQ8"
    with pytest.raises(ValueError, match="unknown index type"):
        vec.factory_string("lsh", 384, 10)


@pytest.mark.parametrize("index_type", ["hnsw", "hnsw-sq8", "ivf-sq8", "ivf-pq"])
def test_selective_filter_on_an_approximate_index_returns_k_exact_hits(
    data: np.ndarray, index_type: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = build_faiss(data, index_type)
    assert not vec.is_exact(index)
    rng = np.random.default_rng(1)
    query = data[17]
    # 12 matching rows spread over the corpus, none near the query: an unfiltered approximate search never
    # reaches them, so only an exact scan of the matching rows finds all of them.
    far = np.flatnonzero(data @ query < 0)
    mask = np.zeros(len(data), dtype=bool)
    mask[rng.choice(far, size=12, replace=False)] = True
    for k in (5, 12, 20):
        ids, scores = dense_search(index, data, query, k, mask)
        expected, _ = exact_scan(data, query, np.flatnonzero(mask), k)
        assert ids.tolist() == expected.tolist()
        assert np.all(np.diff(scores) <= 1e-6)
    # Forced through the id-selector search (as for a broad filter): still k hits, all inside the filter,
    # thanks to the exact fallback when the approximate search comes back short.
    monkeypatch.setattr(vec, "EXACT_SCAN_MAX_ROWS", 0)
    for k in (5, 12, 20):
        ids, _ = dense_search(index, data, query, k, mask)
        assert len(ids) == min(k, 12) and mask[ids].all()


def test_broad_filter_uses_the_index_and_keeps_to_the_mask(
    data: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = build_faiss(data, "ivf-sq8")
    mask = np.zeros(len(data), dtype=bool)
    mask[::2] = True
    monkeypatch.setattr(vec, "EXACT_SCAN_MAX_ROWS", 100)
    ids, _ = dense_search(index, data, data[3], 10, mask)
    exact, _ = exact_scan(data, data[3], np.flatnonzero(mask), 10)
    assert len(ids) == 10 and mask[ids].all()
    assert len(set(ids.tolist()) & set(exact.tolist())) >= 8


@pytest.mark.parametrize("index_type", ["ivf-sq8", "ivf-pq", "hnsw"])
def test_unfiltered_recall_against_exact(data: np.ndarray, index_type: str) -> None:
    index = build_faiss(data, index_type)
    queries = _clustered(50, seed=3)
    recall = []
    for q in queries:
        ids, _ = dense_search(index, data, q, 10, None)
        exact, _ = exact_scan(data, q, np.arange(len(data)), 10)
        recall.append(len(set(ids.tolist()) & set(exact.tolist())) / 10)
    assert np.mean(recall) >= 0.9


def test_approximate_index_loads_vectors_memory_mapped(data: np.ndarray, tmp_path) -> None:  # type: ignore[no-untyped-def]
    vec.save_vectors(tmp_path, build_faiss(data, "ivf-sq8"), data)
    index, loaded = load_vectors(tmp_path)
    assert isinstance(loaded, np.memmap) and not vec.is_exact(index)
    vec.save_vectors(tmp_path, build_faiss(data, "flat"), data)
    index, loaded = load_vectors(tmp_path)
    assert not isinstance(loaded, np.memmap) and vec.is_exact(index)


def test_too_few_vectors_for_ivf_build_an_exact_index() -> None:
    assert vec.is_exact(build_faiss(_clustered(200), "ivf-sq8"))
