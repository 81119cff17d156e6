"""Reciprocal rank fusion: summed weighted reciprocal ranks, ties broken by id."""

import numpy as np
from retriever.index.fusion import reciprocal_rank_fusion


def _reference(rankings: list[np.ndarray], weights: list[float], k: int = 60) -> list[int]:
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, doc_id in enumerate(ranking.tolist(), start=1):
            fused[doc_id] = fused.get(doc_id, 0.0) + weight / (k + rank)
    return sorted(fused, key=lambda i: (-fused[i], i))


def test_rrf_sums_weighted_reciprocal_ranks_and_breaks_ties_by_id():
    a, b = np.array([7, 3, 5]), np.array([3, 9])
    # 3: 1/62 + 1/61 beats 7: 1/61, then 9 (1/62) and 5 (1/63).
    assert reciprocal_rank_fusion([a, b]).tolist() == [3, 7, 9, 5]
    assert reciprocal_rank_fusion([a, b], [1.0, 0.0]).tolist() == [7, 3, 5, 9]
    assert reciprocal_rank_fusion([np.array([4]), np.array([2])]).tolist() == [2, 4]
    assert reciprocal_rank_fusion([]).tolist() == []


def test_rrf_matches_the_plain_definition_on_random_rankings():
    rng = np.random.default_rng(0)
    for _ in range(300):
        count = int(rng.integers(1, 4))
        rankings = [rng.choice(400, size=int(rng.integers(0, 200)), replace=False) for _ in range(count)]
        weights = [float(w) for w in rng.choice([0.5, 1.0, 2.0], size=count)]
        assert reciprocal_rank_fusion(rankings, weights).tolist() == _reference(rankings, weights)
