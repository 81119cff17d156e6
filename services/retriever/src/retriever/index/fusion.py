"""Reciprocal rank fusion of ranked id lists."""

from collections.abc import Sequence

import numpy as np

RRF_K = 60


def reciprocal_rank_fusion(
    rankings: Sequence[np.ndarray], weights: Sequence[float] | None = None, k: int = RRF_K
) -> np.ndarray:
    """Ids ordered by sum of weight / (k + rank) over the rankings (rank starts at 1); ties by id."""
    weights = weights or [1.0] * len(rankings)
    if not rankings:
        return np.zeros(0, dtype=np.int64)
    ids = np.concatenate([np.asarray(r, dtype=np.int64) for r in rankings])
    contributions = np.concatenate(
        [w / (k + np.arange(1, len(r) + 1, dtype=np.float64)) for r, w in zip(rankings, weights, strict=True)]
    )
    unique, position = np.unique(ids, return_inverse=True)
    # bincount adds each id's contributions in input order, as a running sum over the rankings would.
    fused = np.bincount(position, weights=contributions, minlength=len(unique))
    return unique[np.lexsort((unique, -fused))]
