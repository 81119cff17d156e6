"""The pruned BM25 search's inner loops, compiled with numba.

At millions of chunks a query's terms touch a few hundred thousand postings. In numpy each pass over them
(add the scores, gather the sums, reset the accumulator, drop repeats) is a separate fancy-indexing call at
~10 ns per element; these loops do all of it in one pass each, without holding the GIL.
"""

import numpy as np
from numba import njit


@njit(nogil=True, cache=True)
def accumulate(
    acc: np.ndarray,
    touched: np.ndarray,
    post_ids: np.ndarray,
    post_scores: np.ndarray,
    head_ids: np.ndarray,
    head_scores: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    in_head: np.ndarray,
) -> int:
    """Add each term's scores (postings[starts[t]:ends[t]], of the heads where in_head[t]) into acc.

    Every chunk reached for the first time is appended to `touched` (each once); returns how many. An entry of
    acc is zero exactly when untouched, because BM25 term scores are positive.
    """
    n = 0
    for t in range(len(starts)):
        ids = head_ids if in_head[t] else post_ids
        scores = head_scores if in_head[t] else post_scores
        for j in range(starts[t], ends[t]):
            row = ids[j]
            if acc[row] == 0.0:
                touched[n] = row
                n += 1
            acc[row] += scores[j]
    return n


@njit(nogil=True, cache=True)
def collect(
    acc: np.ndarray,
    touched: np.ndarray,
    n: int,
    mask: np.ndarray,
    use_mask: bool,
    rows: np.ndarray,
    sums: np.ndarray,
) -> int:
    """Move the sums of the first n touched chunks (those in mask, when use_mask) to rows/sums, zeroing acc
    at every touched chunk; returns how many were kept."""
    kept = 0
    for i in range(n):
        row = touched[i]
        if not use_mask or mask[row]:
            rows[kept] = row
            sums[kept] = acc[row]
            kept += 1
        acc[row] = 0.0
    return kept


@njit(nogil=True, cache=True)
def clear(acc: np.ndarray, touched: np.ndarray, n: int) -> None:
    """Zero acc at the first n touched chunks (after a failed search)."""
    for i in range(n):
        acc[touched[i]] = 0.0
