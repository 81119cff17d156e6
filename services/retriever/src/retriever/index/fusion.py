"""Reciprocal rank fusion of ranked id lists."""

from collections.abc import Mapping, Sequence

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


def fuse(
    rankings: Mapping[str, np.ndarray], k: int = RRF_K
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Reciprocal rank fusion of named rankings (equal weights): ids best first, their fused scores, and each
    ranking's share of those scores (0 where a ranking did not list the id)."""
    ids = np.asarray(reciprocal_rank_fusion(list(rankings.values()), k=k), dtype=np.int64)
    position = {doc_id: i for i, doc_id in enumerate(ids.tolist())}
    shares: dict[str, np.ndarray] = {}
    for name, ranking in rankings.items():
        share = np.zeros(len(ids), dtype=np.float32)
        for rank, doc_id in enumerate(ranking.tolist(), start=1):
            share[position[doc_id]] = 1.0 / (k + rank)
        shares[name] = share
    total = np.sum(list(shares.values()), axis=0) if shares else np.zeros(len(ids), dtype=np.float32)
    return ids, total.astype(np.float32), shares
