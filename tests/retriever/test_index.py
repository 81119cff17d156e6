"""Index build/load round trip, filtered search without shortfall, manifest checks, HNSW."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from retriever.embedder import Embedder
from retriever.index import IndexLoadError, SearchIndex
from retriever.index.builder import build_index
from retriever.sources.local import read_corpus

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def index(built_index: Path, embedder: Embedder) -> SearchIndex:
    return SearchIndex.load(built_index, embedder)


def test_round_trip_manifest_and_search(index: SearchIndex, built_index: Path, slice_corpus: Path):
    assert index.version == SearchIndex.current_version(built_index)
    m = index.manifest
    assert m.chunk_count == len(index) > 20
    assert m.embedding.dimension == 384 and m.embedding.query_prefix == ""
    assert m.index_type == "flat" and m.hybrid and m.chunker.chunk_tokens == 200
    assert {s.file for s in m.sources} == {"AAPL_FY2024_10K.txt", "TSLA_FY2023_10K.txt"}
    assert all(len(s.sha256) == 64 for s in m.sources)
    assert json.loads(json.dumps(m.model_dump()))["version"] == index.version
    assert index.name == "sec-10k" and index.created_at

    hits = index.search("Which company designs the iPhone and Mac?", k=5)
    assert len(hits) == 5
    assert hits[0].metadata.ticker == "AAPL"
    assert all(h.text == index.store.texts[h.id] for h in hits)
    vec = index.embedder.embed_queries(["Which company designs the iPhone and Mac?"])[0]
    assert [
        h.id for h in index.search("Which company designs the iPhone and Mac?", k=5, query_vector=vec)
    ] == [h.id for h in hits]


def test_filtered_search_returns_k_hits_without_shortfall(index: SearchIndex):
    tsla = int((index.store.columns["ticker"][:] == "TSLA").sum())
    assert tsla > 12
    # An Apple question filtered to Tesla: post-filtering a top-k would return almost nothing.
    hits = index.search(
        "iPhone, Mac, iPad and AirPods product lines",
        k=12,
        filters={"type": "eq", "key": "ticker", "value": "TSLA"},
    )
    assert len(hits) == 12 and {h.metadata.ticker for h in hits} == {"TSLA"}
    everything = index.search(
        "electric vehicles", k=tsla + 50, filters={"type": "eq", "key": "ticker", "value": "TSLA"}
    )
    assert len(everything) == tsla


def test_compound_filter_with_fiscal_year_range(index: SearchIndex):
    filt = {
        "type": "and",
        "filters": [
            {"type": "in", "key": "ticker", "value": ["AAPL", "TSLA", "MSFT"]},
            {"type": "gte", "key": "fiscal_year", "value": 2024},
            {"type": "lte", "key": "fiscal_year", "value": 2025},
        ],
    }
    hits = index.search("company business overview", k=8, filters=filt)
    assert len(hits) == 8
    assert {(h.metadata.ticker, h.metadata.fiscal_year) for h in hits} == {("AAPL", 2024)}
    assert index.search("anything", k=3, filters={"type": "eq", "key": "ticker", "value": "GOOGL"}) == []


def test_dense_only_and_score_threshold(index: SearchIndex):
    lexical = index.lexical
    try:
        index.lexical = None
        hits = index.search("Tesla vehicles and energy storage", k=5)
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    finally:
        index.lexical = lexical
    high = index.search("Tesla vehicles and energy storage", k=5, score_threshold=0.99)
    assert high == []


def test_score_threshold_keeps_the_strong_hits_and_drops_the_weak(index: SearchIndex):
    query = "Tesla vehicles and energy storage"
    unfiltered = index.search(query, k=8)
    assert unfiltered[0].score > unfiltered[-1].score
    threshold = (unfiltered[0].score + unfiltered[-1].score) / 2
    kept = index.search(query, k=8, score_threshold=threshold)
    assert 0 < len(kept) < len(unfiltered)
    assert all(hit.score >= threshold for hit in kept)
    assert [hit.id for hit in kept] == [hit.id for hit in unfiltered if hit.score >= threshold]


def test_manifest_mismatch_is_one_clear_line(built_index: Path, model_path: str, cache_dir: Path):
    other = Embedder(model_path, backend="onnx", query_prefix="query: ", cache_dir=cache_dir)
    with pytest.raises(IndexLoadError) as info:
        SearchIndex.load(built_index, other)
    message = str(info.value)
    assert "\n" not in message and "query prefix" in message and "rebuild" in message


def test_model_mismatch_and_corruption(built_index: Path, tmp_path: Path, embedder: Embedder):
    copy = tmp_path / "copy"
    shutil.copytree(built_index, copy, symlinks=True)
    manifest_path = copy / "current" / "manifest.json"
    data = json.loads(manifest_path.read_text())
    data["embedding"]["fingerprint"] = "0" * 16
    data["embedding"]["model"] = "BAAI/bge-small-en-v1.5"
    manifest_path.write_text(json.dumps(data))
    with pytest.raises(IndexLoadError, match=r"BAAI/bge-small-en-v1\.5"):
        SearchIndex.load(copy, embedder)
    manifest_path.write_text("{not json")
    with pytest.raises(IndexLoadError, match="corrupt index manifest"):
        SearchIndex.load(copy, embedder)
    with pytest.raises(IndexLoadError, match="no index found"):
        SearchIndex.load(tmp_path / "missing", embedder)


def test_hnsw_index(slice_corpus: Path, embedder: Embedder, tmp_path: Path):
    build_index(read_corpus(slice_corpus), embedder, tmp_path, index_type="hnsw", hybrid=False)
    index = SearchIndex.load(tmp_path, embedder)
    assert index.manifest.index_type == "hnsw" and index.lexical is None
    hits = index.search("Tesla energy generation and storage", k=5)
    assert len(hits) == 5 and hits[0].metadata.ticker == "TSLA"
    filtered = index.search("Tesla energy", k=7, filters={"type": "eq", "key": "ticker", "value": "AAPL"})
    assert len(filtered) == 7 and {h.metadata.ticker for h in filtered} == {"AAPL"}


def test_vectors_are_normalised(index: SearchIndex):
    norms = np.linalg.norm(index.vectors, axis=1)
    assert np.allclose(norms, 1.0, atol=1e-3)


def test_hits_carry_the_token_count_stored_at_build(index: SearchIndex):
    hit = index.search("revenue", k=1)[0]
    assert hit.tokens == index.embedder.count_tokens(hit.text)


def test_a_store_without_token_counts_still_loads(tmp_path: Path):
    import sqlite3

    from retriever.hits import ChunkMetadata
    from retriever.index.store import ChunkStore

    cols = ", ".join(f'"{f}"' for f in ChunkMetadata.field_names())
    path = tmp_path / "chunks.sqlite"
    with sqlite3.connect(path) as db:  # the layout of indexes built before counts were stored
        db.execute(
            f"CREATE TABLE chunks (id INTEGER PRIMARY KEY, text TEXT NOT NULL, content_hash TEXT, {cols})"
        )
        values = ("d", "T", "Co", "1", "10-K", 2023, None, None, None, None, None, None, 0, 4, None, "f")
        db.execute(f"INSERT INTO chunks VALUES (0, 'text', 'h', {', '.join('?' * len(values))})", values)
    db.close()
    store = ChunkStore.load(path)
    assert store.texts == ["text"] and store.token_count(0) is None
