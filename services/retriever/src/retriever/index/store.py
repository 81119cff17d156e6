"""Chunk store: chunks.sqlite rows keyed by the int64 FAISS id; metadata as columns, texts read on demand.

The gateway holds what every search touches (filter columns, per-chunk codes and numbers, about 80 bytes a
chunk) and reads texts, page titles and hashes from SQLite by id when a hit or candidate needs them. Holding
every text in memory cost 2.4 KB a chunk and 27-32 s to load at a million chunks.
"""

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

import numpy as np
from retriever.filters import FILTER_KEYS, INT_KEYS, UPPER_KEYS, CodedStrings, Column
from retriever.hits import ChunkMetadata
from retriever.index.metadata_table import (
    CHUNK_FIELDS,
    FILING_FIELDS,
    NO_PAGE,
    SECTION_FIELDS,
    MetadataTable,
)
from retriever.rerank.features import numeric_density
from retriever.statements import page_statements

CHUNKS_FILE = "chunks.sqlite"
_FIELDS = ChunkMetadata.field_names()
_BATCH = 10_000  # ids per SQL statement (SQLite allows 32,766 parameters)


def write_chunks(
    path: Path,
    texts: Sequence[str],
    metadata: Sequence[ChunkMetadata],
    hashes: Sequence[str],
    tokens: Sequence[int | None],
    page_titles: Sequence[str],
) -> None:
    """Write all chunks (row id i is FAISS id i) and the columns `ChunkStore.load` reads without a scan.

    The `chunks` table keeps one full row per chunk. Beside it, `filings` and `sections` hold each distinct
    filing's and section's fields, and `chunk_columns` the per-chunk arrays as blobs: codes into those
    tables, page and span, token counts, numeric density and statement codes. The density and statement codes
    are second-stage features stored because computing them at load is a regex over all texts or titles.
    """
    cols = ", ".join(f'"{f}"' for f in _FIELDS)
    marks = ", ".join("?" for _ in range(len(_FIELDS) + 6))
    table = metadata if isinstance(metadata, MetadataTable) else MetadataTable.of(metadata)
    density = numeric_density(texts)
    counts = [int(t) if t else None for t in tokens]  # numpy integers do not bind; unknown is NULL
    arrays = {
        "filing": table.filing,
        "section": table.section,
        "page": table.page,
        "char_start": table.char_start,
        "char_end": table.char_end,
        "tokens": np.asarray([t or 0 for t in counts], dtype=np.int32),
        "numeric_density": density,
        "statement": page_statements(page_titles),
    }
    rows = zip(texts, metadata, hashes, counts, page_titles, density.tolist(), strict=True)
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
        for name, fields, values in (
            ("filings", FILING_FIELDS, table.filings),
            ("sections", SECTION_FIELDS, table.sections),
        ):
            db.execute(f"CREATE TABLE {name} (code INTEGER PRIMARY KEY, {', '.join(fields)})")
            db.executemany(
                f"INSERT INTO {name} VALUES ({', '.join('?' * (len(fields) + 1))})",
                ((code, *row) for code, row in enumerate(values)),
            )
        db.execute(
            "CREATE TABLE chunk_columns (name TEXT PRIMARY KEY, dtype TEXT NOT NULL, data BLOB NOT NULL)"
        )
        db.executemany(
            "INSERT INTO chunk_columns VALUES (?, ?, ?)",
            ((name, a.dtype.str, np.ascontiguousarray(a).tobytes()) for name, a in arrays.items()),
        )
    # The connection context manager commits; closing makes the file complete before publish.
    db.close()


class _Database:
    """One read-only connection shared by the retrieval threads: a lock makes its use serial.

    Opened once at load, so a version folder renamed or pruned while it serves stays readable.
    """

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self._lock = threading.Lock()

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def close(self) -> None:
        self._db.close()


class StoredColumn(Sequence[str]):
    """One text column of the `chunks` table, read by id when asked (row i = chunk i)."""

    def __init__(self, db: _Database, column: str, size: int, default: str = "") -> None:
        self._db = db
        self._column = column
        self._size = size
        self._default = default  # for NULLs (page titles of chunks that have none)

    def __len__(self) -> int:
        return self._size

    @overload
    def __getitem__(self, row: int) -> str: ...

    @overload
    def __getitem__(self, row: slice) -> list[str]: ...

    def __getitem__(self, row: int | slice) -> str | list[str]:
        if isinstance(row, slice):
            start, stop, step = row.indices(self._size)
            if step != 1:
                return self.many(range(start, stop, step))
            values = self._db.rows(
                f"SELECT {self._column} FROM chunks WHERE id >= ? AND id < ? ORDER BY id", (start, stop)
            )
            return [self._default if v is None else v for (v,) in values]
        return self.many([range(self._size)[row]])[0]

    def many(self, rows: Sequence[int]) -> list[str]:
        """The values of these rows, in their order (repeats allowed)."""
        found: dict[int, str] = {}
        unique = sorted(set(rows))
        for at in range(0, len(unique), _BATCH):
            batch = unique[at : at + _BATCH]
            marks = ", ".join("?" * len(batch))
            sql = f"SELECT id, {self._column} FROM chunks WHERE id IN ({marks})"
            found.update((i, self._default if v is None else v) for i, v in self._db.rows(sql, batch))
        try:
            return [found[i] for i in rows]
        except KeyError as exc:
            raise IndexError(f"chunk {exc.args[0]} is not in the store") from None

    def __iter__(self) -> Iterator[str]:
        for start in range(0, self._size, _BATCH):
            yield from self[start : start + _BATCH]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and len(other) == len(self) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]  # compares by values, like the list it replaces


class ChunkStore:
    """Chunk metadata, filter columns and per-chunk numbers in memory; texts from SQLite or a list.

    Read-only after load, so safe for concurrent readers.
    """

    def __init__(
        self,
        texts: Sequence[str],
        metadata: Sequence[ChunkMetadata],
        hashes: Sequence[str],
        tokens: Sequence[int | None] | np.ndarray | None = None,
        page_titles: Sequence[str] | None = None,
        numeric: np.ndarray | None = None,
        statements: np.ndarray | None = None,
    ) -> None:
        self.texts = texts
        self.metadata = metadata if isinstance(metadata, MetadataTable) else MetadataTable.of(metadata)
        self.hashes = hashes
        size = len(self.metadata)
        # Embedding-model tokens per chunk, 0 for indexes built before the count was stored.
        self.tokens = _token_column(tokens, size)
        self.page_titles = page_titles if page_titles is not None else [""] * size
        self.columns = _filter_columns(self.metadata)
        # Which primary statement each chunk's page is (Statement codes), from its page title.
        self.statements = statements if statements is not None else page_statements(self.page_titles)
        self._numeric = numeric

    @property
    def numeric_density(self) -> np.ndarray:
        """Share of number tokens per chunk: stored by write_chunks, computed for stores that predate it."""
        if self._numeric is None:
            self._numeric = numeric_density(self.texts)
        return self._numeric

    def token_count(self, row: int) -> int | None:
        """Embedding-model tokens of one chunk, None when the index did not record them."""
        return int(self.tokens[row]) or None

    def texts_at(self, rows: Sequence[int]) -> list[str]:
        """Texts of these chunks, one read for all of them."""
        return _values_at(self.texts, rows)

    def titles_at(self, rows: Sequence[int]) -> list[str]:
        """Page titles of these chunks."""
        return _values_at(self.page_titles, rows)

    def __len__(self) -> int:
        return len(self.metadata)

    @classmethod
    def load(cls, path: Path) -> "ChunkStore":
        """Open chunks.sqlite: its columns into memory; texts, titles and hashes stay on disk."""
        db = _Database(path)
        try:
            tables = {name for (name,) in db.rows("SELECT name FROM sqlite_master WHERE type = 'table'")}
            stored = _read_columns(db) if "chunk_columns" in tables else _read_rows(db, path)
            size = len(stored.metadata)
            _check_ends(db, path, size)
        except BaseException:
            db.close()
            raise
        return cls(
            StoredColumn(db, "text", size),
            stored.metadata,
            StoredColumn(db, "content_hash", size),
            stored.tokens,
            StoredColumn(db, "page_title", size) if stored.has_titles else None,
            stored.numeric,
            stored.statements,
        )


@dataclass(frozen=True)
class _Columns:
    """What `ChunkStore.load` keeps in memory, however the file stores it."""

    metadata: MetadataTable
    tokens: np.ndarray | list[int | None]
    statements: np.ndarray
    numeric: np.ndarray | None  # None: the store predates the column
    has_titles: bool = True


def _token_column(tokens: Sequence[int | None] | np.ndarray | None, size: int) -> np.ndarray:
    if tokens is None:
        return np.zeros(size, dtype=np.int32)
    if isinstance(tokens, np.ndarray):
        return tokens.astype(np.int32, copy=False)
    return np.array([t or 0 for t in tokens], dtype=np.int32)


def _values_at(values: Sequence[str], rows: Sequence[int]) -> list[str]:
    return values.many(rows) if isinstance(values, StoredColumn) else [values[i] for i in rows]


def _read_columns(db: _Database) -> _Columns:
    arrays = {
        name: np.frombuffer(data, dtype=np.dtype(dtype))
        for name, dtype, data in db.rows("SELECT name, dtype, data FROM chunk_columns")
    }
    metadata = MetadataTable(
        tuple(r[1:] for r in db.rows("SELECT * FROM filings ORDER BY code")),
        tuple(r[1:] for r in db.rows("SELECT * FROM sections ORDER BY code")),
        *(arrays[f] for f in ("filing", "section", *CHUNK_FIELDS)),
    )
    return _Columns(metadata, arrays["tokens"], arrays["statement"], arrays["numeric_density"])


def _read_rows(db: _Database, path: Path) -> _Columns:
    """Stores written before `chunk_columns`: one pass over every row's metadata (not its text)."""
    cols = ", ".join(f'"{f}"' for f in _FIELDS)
    # Indexes of older pipeline versions lack the later columns; they load with defaults.
    present = {row[1] for row in db.rows("PRAGMA table_info(chunks)")}
    tokens_col = "tokens" if "tokens" in present else "NULL"
    title_col = "page_title" if "page_title" in present else "''"
    density_col = "numeric_density" if "numeric_density" in present else "NULL"
    rows = db.rows(f"SELECT id, {tokens_col}, {title_col}, {density_col}, {cols} FROM chunks ORDER BY id")
    for expected, row in enumerate(rows):
        if row[0] != expected:
            raise ValueError(f"{path.name}: chunk ids are not contiguous at {expected}")
    stored = rows[0][3] is not None if rows else False
    return _Columns(
        MetadataTable.of(ChunkMetadata(*r[4:]) for r in rows),
        [r[1] for r in rows],
        page_statements([r[2] or "" for r in rows]),
        np.array([r[3] for r in rows], dtype=np.float32) if stored else None,
        "page_title" in present,
    )


def _check_ends(db: _Database, path: Path, size: int) -> None:
    """The first and last rows are there and readable: catches a truncated or foreign file at load."""
    ends = db.rows("SELECT id, length(text) FROM chunks WHERE id IN (?, ?)", (0, size - 1)) if size else []
    (last,) = db.rows("SELECT max(id) FROM chunks")[0]
    if len(ends) != min(size, 2) or (last if last is not None else -1) != size - 1:
        raise ValueError(f"{path.name}: {size} chunks in its columns, ids end at {last}")


def _filter_columns(metadata: MetadataTable) -> dict[str, Column]:
    """Filter columns: floats (NaN = missing) for int keys, coded strings ('' = missing) for the others.

    Filing and section fields are converted once per filing or section and spread by the chunk codes.
    """
    columns: dict[str, Column] = {}
    for key in FILTER_KEYS:
        if key == "page":
            columns[key] = np.where(metadata.page == NO_PAGE, np.nan, metadata.page.astype(np.float64))
            continue
        values, codes = metadata.level(key)
        if key in INT_KEYS:
            per = np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
            columns[key] = per[codes]
        else:
            coded = CodedStrings.of(
                ["" if v is None else str(v).upper() if key in UPPER_KEYS else str(v) for v in values]
            )
            columns[key] = CodedStrings(coded.codes[codes], coded.categories)
    return columns
