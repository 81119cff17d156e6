"""A bounded LRU of retrieval results: analysts and dashboards repeat questions.

Keyed by the index version, the normalised search text, the effective filter and the search options, so a
hot swap (a new version) never serves an old result; `clear()` on a swap frees the old entries at once.
Searches finish in worker threads, hence the lock.
"""

import json
import re
import threading
from collections.abc import Hashable
from typing import Generic, TypeVar

from cachetools import LRUCache

V = TypeVar("V")
_SPACE = re.compile(r"\s+")


def normalise_query(text: str) -> str:
    """Case and whitespace do not change a search."""
    return _SPACE.sub(" ", text).strip().lower()


def cache_key(version: str, query: str, filters: object, *options: Hashable) -> tuple[Hashable, ...]:
    """The key of one search: index version, normalised text, filter (canonical JSON) and options."""
    return (version, normalise_query(query), json.dumps(filters, sort_keys=True, default=str), *options)


class RetrievalCache(Generic[V]):
    """Thread-safe LRU; size 0 disables it (every lookup misses, nothing is stored)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: LRUCache[tuple[Hashable, ...], V] | None = LRUCache(maxsize=size) if size else None
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """Whether results are kept at all."""
        return self._entries is not None

    def get(self, key: tuple[Hashable, ...]) -> V | None:
        """The stored value, refreshed as most recently used, or None."""
        if self._entries is None:
            return None
        with self._lock:
            return self._entries.get(key)

    def put(self, key: tuple[Hashable, ...], value: V) -> None:
        """Store a value, evicting the least recently used beyond the size."""
        if self._entries is None:
            return
        with self._lock:
            self._entries[key] = value

    def clear(self) -> None:
        """Drop everything (after an index swap)."""
        if self._entries is not None:
            with self._lock:
                self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries) if self._entries is not None else 0
