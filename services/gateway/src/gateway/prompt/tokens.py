"""Token counting for context fitting: the upstream model's tokenizer if it is on disk, else an estimate."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from typing import Protocol

logger = logging.getLogger(__name__)


class TokenCounter(Protocol):
    """Counts tokens of a text as the upstream model would."""

    name: str

    def __call__(self, text: str) -> int: ...


class TokenizerCounter:
    """Exact counts with the upstream model's own Hugging Face tokenizer."""

    def __init__(self, tokenizer: object, name: str) -> None:
        self._encode = tokenizer.encode
        self.name = name

    def __call__(self, text: str) -> int:
        return len(self._encode(text, add_special_tokens=False))


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


class TokenCounters:
    """Per-model counters, loaded lazily and cached; only local files are used (never a hub download)."""

    def __init__(self, tokenizer_paths: Mapping[str, str], fallback: TokenCounter) -> None:
        self._paths = dict(tokenizer_paths)
        self._fallback = fallback
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
        try:
            from transformers import AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=True)
        except (OSError, ValueError, ImportError) as exc:
            logger.info(
                "no local tokenizer for %s (%s); using %s", model, type(exc).__name__, self._fallback.name
            )
            return self._fallback
        logger.info("counting tokens for %s with its tokenizer from %s", model, source)
        return TokenizerCounter(tokenizer, source)
