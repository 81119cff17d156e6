"""Chunk store: SQLite rows (text + metadata) keyed by the int64 FAISS id, plus filter columns."""

import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from retriever.filters import FILTER_KEYS, INT_KEYS, UPPER_KEYS, CodedStrings, Column
from retriever.hits import ChunkMetadata
from retriever.rerank.features import numeric_density
from retriever.statements import page_statements

CHUNKS_FILE = "chunks.sqlite"
_FIELDS = ChunkMetadata.field_names()


def write_chunks(
    path: Path,
    texts: Sequence[str],
    metadata: Sequence[ChunkMetadata],
    hashes: Sequence[str],
    tokens: Sequence[int],
    page_titles: Sequence[str],
) -> None:
    """Write all chunks with their token counts, page titles and numeric density; row id i is FAISS id i.

    The density (a second-stage feature) is stored because computing it for every chunk at load is a regex
    over all texts: 28 s per million chunks, on the first search.
    """
    cols = ", ".join(f'"{f}"' for f in _FIELDS)
    marks = ", ".join("?" for _ in range(len(_FIELDS) + 6))
    density = numeric_density(texts)
    rows = zip(texts, metadata, hashes, tokens, page_titles, density.tolist(), strict=True)
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE chunks (id INTEGER PRIMARY KEY, text TEXT NOT NULL, content_hash TEXT, "
            f"tokens INTEGER, page_title TEXT, numeric_density REAL, {cols})"
        )
        db.executemany(
            f"INSERT INTO chunks VALUES ({marks})",
            (
                (i, text, h, n, title, d, *(getattr(m, f) for f in _FIELDS))
                for i, (text, m, h, n, title, d) in enumerate(rows)
            ),
        )
    # The connection context manager commits; closing makes the file complete before publish.
    db.close()


class ChunkStore:
    """All chunk texts and metadata in memory (read-only after load, so safe for concurrent readers)."""

    def __init__(
        self,
        texts: list[str],
        metadata: list[ChunkMetadata],
        hashes: list[str],
        tokens: list[int | None] | None = None,
        page_titles: list[str] | None = None,
        numeric: np.ndarray | None = None,
    ) -> None:
        self.texts = texts
        self.metadata = metadata
        self.hashes = hashes
        # Embedding-model tokens per chunk; None for indexes built before the count was stored.
        self.tokens = tokens if tokens is not None else [None] * len(texts)
        self.page_titles = page_titles if page_titles is not None else [""] * len(texts)
        self.columns = _filter_columns(metadata)
        # Which primary statement each chunk's page is (Statement codes), from its page title.
        self.statements = page_statements(self.page_titles)
        self._numeric = numeric

    @property
    def numeric_density(self) -> np.ndarray:
        """Share of number tokens per chunk: stored by write_chunks, computed for stores that predate it."""
        if self._numeric is None:
            self._numeric = numeric_density(self.texts)
        return self._numeric

    def __len__(self) -> int:
        return len(self.texts)

    @classmethod
    def load(cls, path: Path) -> "ChunkStore":
        """Read every row of chunks.sqlite ordered by id."""
        cols = ", ".join(f'"{f}"' for f in _FIELDS)
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            # Indexes of older pipeline versions lack the later columns; they load with defaults.
            present = {row[1] for row in db.execute("PRAGMA table_info(chunks)")}
            tokens_col = "tokens" if "tokens" in present else "NULL"
            title_col = "page_title" if "page_title" in present else "''"
            density_col = "numeric_density" if "numeric_density" in present else "NULL"
            rows = db.execute(
                f"SELECT id, text, content_hash, {tokens_col}, {title_col}, {density_col}, {cols} "
                "FROM chunks ORDER BY id"
            ).fetchall()
        finally:
            db.close()
        for expected, row in enumerate(rows):
            if row[0] != expected:
                raise ValueError(f"{path.name}: chunk ids are not contiguous at {expected}")
        texts = [r[1] for r in rows]
        hashes = [r[2] for r in rows]
        tokens = [r[3] for r in rows]
        titles = [r[4] or "" for r in rows]
        stored = rows[0][5] is not None if rows else False
        density = np.array([r[5] for r in rows], dtype=np.float32) if stored else None
        metadata = [ChunkMetadata(*r[6:]) for r in rows]
        return cls(texts, metadata, hashes, tokens, titles, density)


def _filter_columns(metadata: Sequence[ChunkMetadata]) -> dict[str, Column]:
    """Filter columns: floats (NaN = missing) for int keys, coded strings ('' = missing) for the others."""
    columns: dict[str, Column] = {}
    for key in FILTER_KEYS:
        values = [getattr(m, key) for m in metadata]
        if key in INT_KEYS:
            columns[key] = np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
        else:
            columns[key] = CodedStrings.of(
                ["" if v is None else str(v).upper() if key in UPPER_KEYS else str(v) for v in values]
            )
    return columns
