"""BM25 lexical index (bm25s) over chunk texts; filters apply before the top, so never cause a shortfall."""

import logging
import threading
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from retriever.index import impact_kernels
from retriever.index.vectors import top_k

logger = logging.getLogger(__name__)
# bm25s sets its logger to DEBUG when imported; NOTSET hands it back to the application's logging levels.
logging.getLogger("bm25s").setLevel(logging.NOTSET)

BM25_DIR = "bm25"
_NO_MASK = np.zeros(1, dtype=np.bool_)  # what the compiled loops get when a search has no filter


def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


# Up to this many chunks BM25 is exact: every posting of every query term is scored (as bm25s does).
EXACT_UP_TO = 100_000
# Above it, a term's postings longer than this are read by impact: only its HEAD highest-scoring chunks. A
# common term ("revenue") occurs in a large share of millions of chunks, and reading all of its postings is
# what made BM25 the slowest part of hybrid search at scale; its head holds the chunks where it weighs most.
HEAD = 20_000
# A filter matching at most this many rows is scored exactly over those rows (binary search per term).
EXACT_ROWS = 20_000
# Pruned search: this many times `depth` candidates from the heads are rescored exactly before the top.
RESCORED = 4


class LexicalIndex:
    """BM25 over chunk texts: exact for small indexes and selective filters, impact-pruned beyond."""

    def __init__(
        self,
        model: bm25s.BM25,
        *,
        exact_up_to: int = EXACT_UP_TO,
        head: int = HEAD,
        exact_rows: int = EXACT_ROWS,
    ) -> None:
        self._model = model
        self.head = head
        self._exact_rows = exact_rows
        self._stemmer = _stemmer()
        # PyStemmer objects are not thread-safe; searches run in worker threads.
        self._lock = threading.Lock()
        scores = model.scores
        self._data: np.ndarray = scores["data"]
        self._indices: np.ndarray = scores["indices"]  # chunk ids, ascending within each term's postings
        self._indptr: np.ndarray = scores["indptr"]
        self.num_docs = int(scores["num_docs"])
        self._impact_heads(exact_up_to)
        # Per retrieval thread, a zeroed accumulator the pruned search reuses: a fresh one per query is 4
        # bytes per chunk (12 MB at 3M) to allocate and page in, for the few 100k rows a query touches.
        self._scratch = threading.local()
        if self._head_span:
            self._pruned_top(np.zeros(0, dtype=np.int64), 1, None)  # compile the loops now, not on a query

    def _impact_heads(self, exact_up_to: int) -> None:
        """The `head` best postings of every term with more, above `exact_up_to` chunks.

        They go into one pair of arrays, what the compiled loops read (written in place: building them apart
        and joining them kept ~200 MB more resident at 3M chunks); `_head_span` maps a term to its slice.
        """
        lengths = np.diff(self._indptr)
        terms = np.flatnonzero(lengths > self.head) if self.num_docs > exact_up_to else lengths[:0]
        self._head_ids = np.empty(len(terms) * self.head, dtype=self._indices.dtype)
        self._head_scores = np.empty(len(terms) * self.head, dtype=self._data.dtype)
        self._head_span: dict[int, tuple[int, int]] = {}
        for n, term in enumerate(terms.tolist()):
            ids, scores = self._postings(term)
            best = _best(scores, np.arange(len(ids)), self.head)  # postings are id-sorted: ties by id
            start, end = n * self.head, (n + 1) * self.head
            self._head_ids[start:end], self._head_scores[start:end] = ids[best], scores[best]
            self._head_span[term] = (start, end)

    @classmethod
    def build(cls, texts: list[str], **pruning: int) -> "LexicalIndex":
        """Tokenise (lower-case, English stopwords, Snowball stems) and index texts."""
        tokens = bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), show_progress=False)
        model = bm25s.BM25()
        model.index(tokens, show_progress=False)
        return cls(model, **pruning)

    def save(self, folder: Path) -> None:
        """Persist the index into folder/bm25."""
        self._model.save(str(folder / BM25_DIR))

    @classmethod
    def load(cls, folder: Path, **pruning: int) -> "LexicalIndex":
        """Load a saved index."""
        return cls(bm25s.BM25.load(str(folder / BM25_DIR), mmap=False), **pruning)

    def terms(self, query: str) -> np.ndarray:
        """Vocabulary ids of the query's terms in order (stop words dropped, stemmed; a repeated term counts
        each time, as in bm25s); empty when none is known."""
        with self._lock:
            tokens = bm25s.tokenize(
                [query], stopwords="en", stemmer=self._stemmer, return_ids=False, show_progress=False
            )[0]
        vocab = self._model.vocab_dict
        return np.array([vocab[t] for t in tokens if t in vocab], dtype=np.int64)

    def _postings(self, term: int) -> tuple[np.ndarray, np.ndarray]:
        """A term's (chunk ids ascending, scores): every posting."""
        lo, hi = self._indptr[term], self._indptr[term + 1]
        return self._indices[lo:hi], self._data[lo:hi]

    def _add(self, out: np.ndarray, terms: np.ndarray) -> None:
        """Add the terms' scores over all their postings to each chunk's entry of out."""
        for term in terms:
            ids, data = self._postings(int(term))
            # Chunk ids are unique within a posting list, so a fancy-index add is exact (and ~5x np.add.at).
            out[ids] += data

    def scores(self, query: str) -> np.ndarray:
        """Exact BM25 score of every chunk for query (zeros when no query term is in the vocabulary)."""
        out = np.zeros(self.num_docs, dtype=np.float32)
        self._add(out, self.terms(query))
        return out

    def scores_at(self, terms: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Exact BM25 scores of some chunks (any order), by binary search in each term's postings."""
        rows = np.asarray(rows, dtype=self._indices.dtype)
        out = np.zeros(len(rows), dtype=np.float32)
        for term in terms:
            posting, data = self._postings(int(term))
            if len(posting) == 0:
                continue
            at = np.minimum(np.searchsorted(posting, rows), len(posting) - 1)
            out += np.where(posting[at] == rows, data[at], 0)
        return out

    def top(
        self, terms: np.ndarray, depth: int, mask: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The `depth` best chunks with a positive score (and in mask), best first: (ids, scores).

        Exact up to EXACT_UP_TO chunks and for filters matching up to EXACT_ROWS rows. Otherwise candidates
        come from the impact heads of terms with long postings (all postings of the others), and the best
        RESCORED x depth of them are ranked by exact scores; a chunk that reaches no candidate slot through
        its rarer terms or a head is missed.
        """
        if len(terms) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if mask is not None and len(mask) != self.num_docs:  # the compiled loops do not check bounds
            raise ValueError(f"filter mask has {len(mask)} rows, the index {self.num_docs}")
        # Counting is a fraction of listing the rows of a broad mask (a million of 3M), which then go unused.
        if mask is not None and self._head_span and np.count_nonzero(mask) <= self._exact_rows:
            rows = np.flatnonzero(mask)
            return _positive_top(self.scores_at(terms, rows), rows, depth)
        if not self._head_span:
            acc = np.zeros(self.num_docs, dtype=np.float32)
            self._add(acc, terms)
            rows = np.flatnonzero(acc > 0) if mask is None else np.flatnonzero(mask & (acc > 0))
            return top_k(acc[rows], rows.astype(np.int64), depth)
        return self._pruned_top(terms, depth, mask)

    def _pruned_top(
        self, terms: np.ndarray, depth: int, mask: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Candidates from the heads (all postings of terms without one), the best RESCORED x depth of them
        ranked by their exact scores."""
        spans = [self._span(int(term)) for term in terms]
        starts = np.array([span[0] for span in spans], dtype=np.int64)
        ends = np.array([span[1] for span in spans], dtype=np.int64)
        in_head = np.array([span[2] for span in spans], dtype=np.bool_)
        reach = int((ends - starts).sum())  # at most this many chunks are touched
        touched = np.empty(reach, dtype=self._indices.dtype)
        rows = np.empty(reach, dtype=self._indices.dtype)
        sums = np.empty(reach, dtype=np.float32)
        kept = impact_kernels.head_sums(
            self._accumulator(),
            touched,
            self._indices,
            self._data,
            self._head_ids,
            self._head_scores,
            starts,
            ends,
            in_head,
            mask if mask is not None else _NO_MASK,
            mask is not None,
            rows,
            sums,
        )
        pool_ids = _best(sums[:kept], rows[:kept], RESCORED * depth).astype(np.int64)
        # The heads only find candidates: the best of them are ranked by their exact scores, so a chunk that
        # a common term's head left out still gets that term's weight once it is a candidate.
        return top_k(self.scores_at(terms, pool_ids), pool_ids, depth)

    def _span(self, term: int) -> tuple[int, int, bool]:
        """Where the pruned search reads a term: its slice of the heads, else of all postings."""
        head = self._head_span.get(term)
        if head is not None:
            return head[0], head[1], True
        return int(self._indptr[term]), int(self._indptr[term + 1]), False

    def _accumulator(self) -> np.ndarray:
        acc = getattr(self._scratch, "acc", None)
        if acc is None:
            acc = self._scratch.acc = np.zeros(self.num_docs, dtype=np.float32)
        return acc


def _best(scores: np.ndarray, rows: np.ndarray, k: int) -> np.ndarray:
    """The k rows of highest score, in no order; among rows tied at the lowest score kept, the lower rows
    first, so the choice is the same on every run (heads on every load, candidates for every search)."""
    if len(scores) <= k:
        return rows
    floor = np.partition(scores, len(scores) - k)[len(scores) - k]
    above = rows[scores > floor]
    return np.concatenate([above, np.sort(rows[scores == floor])[: k - len(above)]])


def _positive_top(scores: np.ndarray, rows: np.ndarray, depth: int) -> tuple[np.ndarray, np.ndarray]:
    """The depth best rows with a positive score, best first."""
    positive = scores > 0
    return top_k(scores[positive], rows[positive].astype(np.int64), depth)
