"""Chunk store: metadata columns and texts on disk, the stored numeric-density column, and older stores."""

import sqlite3
import threading
from dataclasses import replace

import numpy as np
import pytest
from retriever.filters import CodedStrings, evaluate, parse_filter
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


def _as_written_before_columns(path) -> None:
    """The layout before chunk_columns: one table of full rows."""
    with sqlite3.connect(path) as db:
        for table in ("chunk_columns", "filings", "sections"):
            db.execute(f"DROP TABLE {table}")
    db.close()


def test_stores_written_before_the_column_compute_it(tmp_path):
    path = tmp_path / "chunks.sqlite"
    _write(path)
    _as_written_before_columns(path)
    with sqlite3.connect(path) as db:
        db.execute("ALTER TABLE chunks DROP COLUMN numeric_density")
    store = ChunkStore.load(path)
    np.testing.assert_allclose(store.numeric_density, numeric_density(TEXTS))
    assert store.metadata[1].ticker == "AAPL" and store.tokens.tolist() == [12, 7, 4]


# Two filings, PDF pages and HTML sections, missing values of every kind.
MIXED = [
    _meta(0),
    replace(_meta(1), item=None, page=None, char_start=40, char_end=90),
    replace(_meta(2), doc_id="m", ticker="msft", company="Microsoft", fiscal_year=None, item="1A", page=None),
    replace(
        _meta(3),
        doc_id="m",
        ticker="msft",
        company="Microsoft",
        fiscal_year=None,
        item="1A",
        page=None,
        item_title="Risk Factors",
        period_end="2024-06-30",
        url="https://x",
    ),
    replace(_meta(4), page=7, char_start=100, char_end=140),
]
MIXED_TEXTS = [f"text {i}: revenue was ${i},000 million" for i in range(len(MIXED))]
MIXED_TITLES = ["CONSOLIDATED BALANCE SHEETS", "", "", "Risk Factors", ""]


def _write_mixed(path):
    write_chunks(path, MIXED_TEXTS, MIXED, [f"h{i}" for i in range(5)], [9, None, 3, 4, 5], MIXED_TITLES)


def _column_values(column):
    return column[np.arange(len(column))].tolist() if isinstance(column, CodedStrings) else column


def test_every_field_comes_back_and_filters_match_the_row_by_row_store(tmp_path):
    path = tmp_path / "chunks.sqlite"
    _write_mixed(path)
    store = ChunkStore.load(path)
    assert list(store.metadata) == MIXED and store.metadata[-1] == MIXED[-1]
    assert store.metadata[1:3] == MIXED[1:3]
    assert store.tokens.tolist() == [9, 0, 3, 4, 5] and store.token_count(1) is None
    assert list(store.texts) == MIXED_TEXTS and list(store.page_titles) == MIXED_TITLES
    assert store.statements.tolist()[0] > 0 and store.statements.tolist()[1:] == [0, 0, 0, 0]

    # The same file read the old way, row by row, gives the same columns.
    _as_written_before_columns(path)
    rows = ChunkStore.load(path)
    assert list(rows.metadata) == MIXED
    assert rows.columns.keys() == store.columns.keys()
    for key, column in store.columns.items():
        np.testing.assert_array_equal(_column_values(column), _column_values(rows.columns[key]), err_msg=key)
    for spec in (
        {"type": "eq", "key": "ticker", "value": "MSFT"},
        {"type": "eq", "key": "item", "value": "1a"},
        {"type": "gte", "key": "fiscal_year", "value": 2022},
        {"type": "eq", "key": "page", "value": 7},
        {"type": "nin", "key": "period_end", "value": ["2024-06-30"]},
    ):
        mask = evaluate(parse_filter(spec), store.columns)
        assert mask.tolist() == evaluate(parse_filter(spec), rows.columns).tolist(), spec
    assert evaluate(parse_filter({"type": "eq", "key": "ticker", "value": "MSFT"}), store.columns).sum() == 2


def test_a_new_store_loads_without_a_pass_over_its_rows(tmp_path, monkeypatch):
    path = tmp_path / "chunks.sqlite"
    _write_mixed(path)
    for name in ("MetadataTable.of", "page_statements", "numeric_density"):
        monkeypatch.setattr(f"retriever.index.store.{name}", lambda *a: 1 / 0)
    store = ChunkStore.load(path)
    assert store.metadata[3] == MIXED[3] and store.numeric_density[4] > 0


def test_texts_are_read_by_id_in_the_order_asked(tmp_path):
    path = tmp_path / "chunks.sqlite"
    _write_mixed(path)
    store = ChunkStore.load(path)
    assert store.texts_at([4, 0, 4]) == [MIXED_TEXTS[4], MIXED_TEXTS[0], MIXED_TEXTS[4]]
    assert store.titles_at([3, 1]) == ["Risk Factors", ""]
    assert store.texts[-1] == MIXED_TEXTS[-1] and store.texts[1:4] == MIXED_TEXTS[1:4]
    assert store.hashes[::2] == ["h0", "h2", "h4"]
    with pytest.raises(IndexError):
        store.texts[5]
    with pytest.raises(IndexError):
        store.texts_at([0, 9])

    # Retrieval threads share the store's one connection.
    seen: list[list[str]] = []

    def read() -> None:
        for _ in range(200):
            seen.append(store.texts_at([2, 3]))

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 800 and all(s == MIXED_TEXTS[2:4] for s in seen)


def test_a_truncated_store_fails_at_load(tmp_path):
    path = tmp_path / "chunks.sqlite"
    write_chunks(path, ["x" * 2000] * 300, [_meta(i) for i in range(300)], ["h"] * 300, [1] * 300, [""] * 300)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(sqlite3.DatabaseError):
        ChunkStore.load(path)


def test_rows_missing_behind_the_columns_fail_at_load(tmp_path):
    path = tmp_path / "chunks.sqlite"
    _write_mixed(path)
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM chunks WHERE id = 4")
    db.close()
    with pytest.raises(ValueError, match="5 chunks in its columns, ids end at 3"):
        ChunkStore.load(path)
