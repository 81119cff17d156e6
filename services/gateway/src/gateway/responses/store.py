"""Stored responses: an embedded SQLite file with a TTL and a row cap, shared by every worker on one host.

Each call opens its own short connection in a worker thread (SQLite connections are cheap and not
thread-safe); WAL mode lets one worker write while the others read. A row keeps the response object and the
conversation up to and including its answer, which is what `previous_response_id` continues from.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    created REAL NOT NULL,
    expires REAL NOT NULL,
    response TEXT NOT NULL,
    conversation TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS responses_expires ON responses (expires);
CREATE INDEX IF NOT EXISTS responses_created ON responses (created);
"""


@dataclass(frozen=True)
class StoredResponse:
    """A stored response object and the chat messages of its conversation, its own answer last."""

    response: dict[str, Any]
    conversation: list[dict[str, Any]]


class ResponseStore:
    """GET/DELETE /v1/responses/{id} and previous_response_id; rows expire after `ttl` seconds."""

    def __init__(self, path: Path, *, ttl: float, max_rows: int) -> None:
        self._path = path
        self._ttl = ttl
        self._max_rows = max_rows
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self._path, timeout=5.0, isolation_level=None)) as db:
            db.execute("PRAGMA busy_timeout=5000")
            yield db

    def _save(self, response_id: str, owner: str, response: str, conversation: str) -> None:
        now = time.time()
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            db.execute(
                "INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?, ?)",
                (response_id, owner, now, now + self._ttl, response, conversation),
            )
            db.execute("DELETE FROM responses WHERE expires < ?", (now,))
            # Bounded: past the cap the oldest rows go first.
            db.execute(
                "DELETE FROM responses WHERE id IN "
                "(SELECT id FROM responses ORDER BY created DESC LIMIT -1 OFFSET ?)",
                (self._max_rows,),
            )
            db.execute("COMMIT")

    def _get(self, response_id: str, owner: str) -> StoredResponse | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT response, conversation FROM responses WHERE id = ? AND owner = ? AND expires >= ?",
                (response_id, owner, time.time()),
            ).fetchone()
        if row is None:
            return None
        return StoredResponse(json.loads(row[0]), json.loads(row[1]))

    def _delete(self, response_id: str, owner: str) -> bool:
        with self._connect() as db:
            cursor = db.execute("DELETE FROM responses WHERE id = ? AND owner = ?", (response_id, owner))
            return cursor.rowcount > 0

    async def save(
        self, response_id: str, owner: str, response: dict[str, Any], conversation: list[dict[str, Any]]
    ) -> None:
        """Keep a finished response and its conversation."""
        await asyncio.to_thread(
            self._save, response_id, owner, json.dumps(response), json.dumps(conversation)
        )

    async def get(self, response_id: str, owner: str) -> StoredResponse | None:
        """The stored response if it exists, is not expired and belongs to `owner`."""
        return await asyncio.to_thread(self._get, response_id, owner)

    async def delete(self, response_id: str, owner: str) -> bool:
        """Remove a stored response; False when there was none for `owner`."""
        return await asyncio.to_thread(self._delete, response_id, owner)
