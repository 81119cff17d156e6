"""Reciprocal rank fusion: summed weighted reciprocal ranks, ties broken by id."""

import numpy as np
from retriever.index.fusion import reciprocal_rank_fusion


def test_rrf_sums_weighted_reciprocal_ranks_and_breaks_ties_by_id():
    a, b = np.array([7, 3, 5]), np.array([3, 9])
    # 3: 1/62 + 1/61 beats 7: 1/61, then 9 (1/62) and 5 (1/63).
    assert reciprocal_rank_fusion([a, b]) == [3, 7, 9, 5]
    assert reciprocal_rank_fusion([a, b], [1.0, 0.0]) == [7, 3, 5, 9]
    assert reciprocal_rank_fusion([np.array([4]), np.array([2])]) == [2, 4]
    assert reciprocal_rank_fusion([]) == []
