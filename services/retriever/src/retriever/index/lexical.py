"""BM25 lexical index (bm25s) over chunk texts, scored for all rows so filters never cause a shortfall."""

import logging
import threading
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

logger = logging.getLogger(__name__)
# bm25s sets its logger to DEBUG when imported; NOTSET hands it back to the application's logging levels.
logging.getLogger("bm25s").setLevel(logging.NOTSET)

BM25_DIR = "bm25"


def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


class LexicalIndex:
    """BM25 scores for a query over every chunk."""

    def __init__(self, model: bm25s.BM25) -> None:
        self._model = model
        self._stemmer = _stemmer()
        # PyStemmer objects are not thread-safe; searches run in worker threads.
        self._lock = threading.Lock()

    @classmethod
    def build(cls, texts: list[str]) -> "LexicalIndex":
        """Tokenise (lower-case, English stopwords, Snowball stems) and index texts."""
        tokens = bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), show_progress=False)
        model = bm25s.BM25()
        model.index(tokens, show_progress=False)
        return cls(model)

    def save(self, folder: Path) -> None:
        """Persist the index into folder/bm25."""
        self._model.save(str(folder / BM25_DIR))

    @classmethod
    def load(cls, folder: Path) -> "LexicalIndex":
        """Load a saved index (memory-mapped)."""
        return cls(bm25s.BM25.load(str(folder / BM25_DIR), mmap=False))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for query (zeros when no query term is in the vocabulary)."""
        with self._lock:
            tokens = bm25s.tokenize(
                [query], stopwords="en", stemmer=self._stemmer, return_ids=False, show_progress=False
            )[0]
        vocab = self._model.vocab_dict
        known = [t for t in tokens if t in vocab]
        if not known:
            return np.zeros(self._model.scores["num_docs"], dtype=np.float32)
        return np.asarray(self._model.get_scores(known), dtype=np.float32)
