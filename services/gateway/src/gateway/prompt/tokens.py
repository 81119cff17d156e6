"""Token counting for context fitting: the upstream model's tokenizer if it is on disk, else an estimate."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from huggingface_hub import try_to_load_from_cache
from tokenizers import Tokenizer

logger = logging.getLogger(__name__)


class TokenCounter(Protocol):
    """Counts tokens of a text as the upstream model would."""

    name: str

    def __call__(self, text: str) -> int: ...

    def upper_bound(self, text: str) -> int:
        """A count never below __call__'s, without tokenizing (a prompt that surely fits skips counting)."""
        ...

    def passage(self, text: str, embedding_tokens: int | None) -> int:
        """Count of a retrieved passage, from the embedding-model count the index stored when that will do."""
        ...


class TokenizerCounter:
    """Exact counts with the upstream model's own tokenizer (tokenizer.json, Rust `tokenizers`)."""

    def __init__(self, tokenizer: Tokenizer, name: str) -> None:
        # A tokenizer.json may carry padding/truncation settings (sentence-transformers' pad to 128): a
        # count needs neither.
        tokenizer.no_padding()
        tokenizer.no_truncation()
        self._tokenizer = tokenizer
        self.name = name

    def __call__(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)

    def upper_bound(self, text: str) -> int:
        # Byte-level BPE and byte-fallback SentencePiece spend at most one token per UTF-8 byte; +1 for
        # SentencePiece's dummy-prefix piece.
        return len(text.encode("utf-8")) + 1

    def passage(self, text: str, embedding_tokens: int | None) -> int:
        return self(text)


class EstimatingCounter:
    """Conservative estimate: embedding-tokenizer (WordPiece) count times a safety factor.

    WordPiece splits numbers and rare words more finely than most LLM BPE vocabularies, so its count is
    rarely far below theirs; the factor (default 1.3) covers the rest so the fitted prompt stays under
    max_model_len.
    """

    def __init__(self, base: Callable[[str], int], factor: float) -> None:
        self._base = base
        self._factor = factor
        self.name = f"estimate(x{factor:g})"

    def __call__(self, text: str) -> int:
        return math.ceil(self._base(text) * self._factor)

    def upper_bound(self, text: str) -> int:
        # Every WordPiece token covers at least one character ([UNK] a whole word); +2 for [CLS] and [SEP].
        return math.ceil((len(text) + 2) * self._factor)

    def passage(self, text: str, embedding_tokens: int | None) -> int:
        # The estimate is built on embedding-model tokens, which the index stored per chunk at build time.
        if embedding_tokens is not None:
            return math.ceil(embedding_tokens * self._factor)
        return self(text)


# Retrieved chunks recur across requests; this many distinct texts cover a busy index's hot set at a
# few MB, and the bound keeps memory flat when every query retrieves something new.
MEMO_SIZE = 50_000


class MemoCounter:
    """Remembers counts per text (bounded LRU): build_prompt re-counts the same sources every request."""

    def __init__(self, counter: TokenCounter, maxsize: int = MEMO_SIZE) -> None:
        self.name = counter.name
        self._counter = counter
        self._count = lru_cache(maxsize=maxsize)(counter.__call__)

    def __call__(self, text: str) -> int:
        return self._count(text)

    def upper_bound(self, text: str) -> int:
        return self._counter.upper_bound(text)

    def passage(self, text: str, embedding_tokens: int | None) -> int:
        if embedding_tokens is not None and isinstance(self._counter, EstimatingCounter):
            return self._counter.passage(text, embedding_tokens)
        return self(text)


class TokenCounters:
    """Per-model counters, loaded lazily and cached; only local files are used (never a hub download)."""

    def __init__(self, tokenizer_paths: Mapping[str, str], fallback: TokenCounter) -> None:
        self._paths = dict(tokenizer_paths)
        self._fallback = MemoCounter(fallback)
        self._cache: dict[str, TokenCounter] = {}

    def cached(self, model: str) -> TokenCounter | None:
        """The counter for `model` if already loaded (no blocking)."""
        return self._cache.get(model)

    def for_model(self, model: str) -> TokenCounter:
        """The counter for `model` (blocking on first use: call it from a worker thread)."""
        counter = self._cache.get(model)
        if counter is None:
            counter = self._load(model)
            self._cache[model] = counter
        return counter

    def _load(self, model: str) -> TokenCounter:
        source = self._paths.get(model, model)
        path = _tokenizer_file(source)
        if path is None:
            logger.info("no local tokenizer for %s; using %s", model, self._fallback.name)
            return self._fallback
        try:
            tokenizer = Tokenizer.from_file(str(path))
        except Exception as exc:  # tokenizers raises plain Exception on a malformed file
            logger.warning(
                "unusable tokenizer %s for %s (%s); using %s", path, model, exc, self._fallback.name
            )
            return self._fallback
        logger.info("counting tokens for %s with its tokenizer from %s", model, path)
        return MemoCounter(TokenizerCounter(tokenizer, source))


def _tokenizer_file(source: str) -> Path | None:
    """tokenizer.json in a local folder, or in the local Hugging Face cache for a hub id (no download)."""
    folder = Path(source)
    if folder.is_dir():
        candidate = folder / "tokenizer.json"
        return candidate if candidate.is_file() else None
    try:
        cached = try_to_load_from_cache(source, "tokenizer.json")
    except ValueError:  # not a valid hub id
        return None
    return Path(cached) if isinstance(cached, str) else None
