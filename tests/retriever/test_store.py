"""Chunk store: the stored numeric-density column, and stores written before it existed."""

import sqlite3

import numpy as np
from retriever.hits import ChunkMetadata
from retriever.index.store import ChunkStore, write_chunks
from retriever.rerank.features import numeric_density

TEXTS = [
    "Net sales were $394,328 million in 2022, up 8%.",
    "Our business depends on key personnel.",
    "1 2 3 4",
]


def _meta(i: int) -> ChunkMetadata:
    return ChunkMetadata(
        f"d{i}",
        "AAPL",
        "Apple Inc.",
        "320193",
        "10-K",
        2022,
        None,
        None,
        None,
        "7",
        None,
        1,
        0,
        40,
        None,
        "a.pdf",
    )


def _write(path):
    write_chunks(path, TEXTS, [_meta(i) for i in range(3)], ["a", "b", "c"], [12, 7, 4], ["", "", ""])


def test_numeric_density_is_stored_and_read_back(tmp_path, monkeypatch):
    path = tmp_path / "chunks.sqlite"
    _write(path)
    with sqlite3.connect(path) as db:
        stored = [r[0] for r in db.execute("SELECT numeric_density FROM chunks ORDER BY id")]
    np.testing.assert_allclose(stored, numeric_density(TEXTS))
    assert stored[0] > 0.3 > stored[1] == 0.0 and stored[2] == 1.0

    # Loading reads the column: the regex over every text does not run again.
    monkeypatch.setattr("retriever.index.store.numeric_density", lambda texts: 1 / 0)
    store = ChunkStore.load(path)
    np.testing.assert_allclose(store.numeric_density, stored)
    assert store.metadata[2].doc_id == "d2" and store.page_titles == ["", "", ""]


def test_stores_written_before_the_column_compute_it(tmp_path):
    path = tmp_path / "chunks.sqlite"
    _write(path)
    with sqlite3.connect(path) as db:
        db.execute("ALTER TABLE chunks DROP COLUMN numeric_density")
    store = ChunkStore.load(path)
    np.testing.assert_allclose(store.numeric_density, numeric_density(TEXTS))
    assert store.metadata[1].ticker == "AAPL" and store.tokens == [12, 7, 4]
