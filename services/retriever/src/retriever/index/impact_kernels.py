"""The pruned BM25 search's inner loops, compiled with numba.

At millions of chunks a query's terms touch a few hundred thousand postings. In numpy each pass over them
(add the scores, gather the sums, reset the accumulator, drop repeats) is a separate fancy-indexing call at
~10 ns per element; one compiled call does it in two passes, without holding the GIL, and leaves no Python
step between dirtying the per-thread accumulator and cleaning it.
"""

import numpy as np
from numba import njit


@njit(nogil=True, cache=True)
def head_sums(
    acc: np.ndarray,
    touched: np.ndarray,
    post_ids: np.ndarray,
    post_scores: np.ndarray,
    head_ids: np.ndarray,
    head_scores: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    in_head: np.ndarray,
    mask: np.ndarray,
    use_mask: bool,
    rows: np.ndarray,
    sums: np.ndarray,
) -> int:
    """Each chunk's sum of the terms' scores (postings[starts[t]:ends[t]], of the heads where in_head[t]),
    for the chunks in mask (when use_mask) into rows/sums; returns how many.

    The first pass adds into acc and lists every chunk reached once in `touched` (an entry of acc is zero
    exactly when untouched, BM25 term scores being positive); the second moves the sums out and zeroes acc
    again, so the per-thread accumulator is clean for the next search.
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
    kept = 0
    for i in range(n):
        row = touched[i]
        if not use_mask or mask[row]:
            rows[kept] = row
            sums[kept] = acc[row]
            kept += 1
        acc[row] = 0.0
    return kept
