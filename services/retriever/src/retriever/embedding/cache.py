"""Persistent embedding cache keyed by (model and backend, text hash), stored in SQLite."""

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from retriever.embedder import Embedder

CACHE_FILE = "embeddings.sqlite"
_BATCH = 500


class EmbeddingCache:
    """Vectors already computed for a model, so a rebuild never embeds the same text twice."""

    def __init__(self, folder: Path, model_key: str, dimension: int) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._path = folder / CACHE_FILE
        self._model = model_key
        self._dim = dimension
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS vectors "
                "(model TEXT, hash TEXT, vec BLOB, PRIMARY KEY (model, hash))"
            )

    @classmethod
    def for_embedder(cls, folder: Path, embedder: "Embedder") -> "EmbeddingCache":
        """The cache of `embedder`'s vectors in `folder`, under its `cache_key` (model and backend)."""
        return cls(folder, embedder.cache_key, embedder.dimension)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self._path, timeout=30)

    def get_many(self, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """Cached vectors for the given text hashes (missing ones are absent)."""
        found: dict[str, np.ndarray] = {}
        db = self._connect()
        try:
            for lo in range(0, len(hashes), _BATCH):
                part = list(hashes[lo : lo + _BATCH])
                marks = ",".join("?" * len(part))
                rows = db.execute(
                    f"SELECT hash, vec FROM vectors WHERE model = ? AND hash IN ({marks})",
                    [self._model, *part],
                )
                for h, blob in rows:
                    vec = np.frombuffer(blob, dtype=np.float32)
                    if vec.shape[0] == self._dim:
                        found[h] = vec
        finally:
            db.close()
        return found

    def put_many(self, hashes: Sequence[str], vectors: np.ndarray) -> None:
        """Store vectors for text hashes (existing entries are kept)."""
        db = self._connect()
        try:
            with db:
                db.executemany(
                    "INSERT OR IGNORE INTO vectors VALUES (?, ?, ?)",
                    (
                        (self._model, h, np.asarray(v, dtype=np.float32).tobytes())
                        for h, v in zip(hashes, vectors, strict=True)
                    ),
                )
        finally:
            db.close()
