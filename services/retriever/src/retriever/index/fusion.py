"""Reciprocal rank fusion of ranked id lists."""

from collections.abc import Sequence

import numpy as np

RRF_K = 60


def reciprocal_rank_fusion(
    rankings: Sequence[np.ndarray], weights: Sequence[float] | None = None, k: int = RRF_K
) -> list[int]:
    """Ids ordered by sum of weight / (k + rank) over the rankings (rank starts at 1)."""
    weights = weights or [1.0] * len(rankings)
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, doc_id in enumerate(ranking.tolist(), start=1):
            fused[doc_id] = fused.get(doc_id, 0.0) + weight / (k + rank)
    return sorted(fused, key=lambda i: (-fused[i], i))
