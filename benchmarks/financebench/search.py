"""Experiment search over a ChunkTable: dense, BM25 or weighted RRF hybrid, with filters and page collapse.

Mirrors SearchIndex.search (exact inner product, BM25 over all rows, the statement-page ranking, RRF with
k=60 over the top FUSION_DEPTH of each) but exposes the knobs the retriever does not: fusion weights, depth,
the statement ranking on or off, and keeping only the best chunk per page.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from retriever.filters import evaluate, parse_filter
from retriever.index.fusion import reciprocal_rank_fusion
from retriever.index.search_index import FUSION_DEPTH
from retriever.index.statement_ranking import statement_ranking
from retriever.index.vectors import top_k

from benchmarks.financebench.chunk_table import ChunkTable

Mode = Literal["dense", "bm25", "hybrid"]


@dataclass(frozen=True)
class SearchConfig:
    """One way of searching; `name` labels it in the results."""

    name: str
    mode: Mode = "hybrid"
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    depth: int = FUSION_DEPTH
    one_per_page: bool = False
    # Fuse a third ranking: the pages of the statements the question needs (retriever.statements).
    statements: bool = False
    statement_weight: float = 1.0


def search(
    table: ChunkTable,
    query: str,
    query_vector: np.ndarray,
    k: int,
    config: SearchConfig,
    filters: Mapping[str, Any] | None = None,
) -> list[int]:
    """Row ids of the best k chunks, best first."""
    filt = parse_filter(filters)
    mask = evaluate(filt, table.columns) if filt is not None else None
    rows = np.flatnonzero(mask) if mask is not None else np.arange(len(table), dtype=np.int64)
    if len(rows) == 0:
        return []
    # Deep enough that collapsing to one chunk per page still leaves k pages.
    depth = max(config.depth, 4 * k) * (4 if config.one_per_page else 1)
    rankings: list[np.ndarray] = []
    weights: list[float] = []
    if config.mode in ("dense", "hybrid"):
        sims = table.vectors[rows] @ query_vector
        rankings.append(top_k(sims.astype(np.float32), rows.astype(np.int64), depth)[0])
        weights.append(config.dense_weight)
    if config.mode in ("bm25", "hybrid"):
        bm25 = table.lexical.scores(query)[rows]
        positive = bm25 > 0
        rankings.append(top_k(bm25[positive], rows[positive].astype(np.int64), depth)[0])
        weights.append(config.lexical_weight)
    if config.statements:
        pages = statement_ranking(table.statements, table.vectors, query, query_vector, mask, depth)
        if pages is not None:
            rankings.append(pages)
            weights.append(config.statement_weight)
    ranked = rankings[0].tolist() if len(rankings) == 1 else reciprocal_rank_fusion(rankings, weights)
    return _collapse(table, ranked, k) if config.one_per_page else ranked[:k]


def _collapse(table: ChunkTable, ranked: list[int], k: int) -> list[int]:
    seen: set[tuple[str, int | None]] = set()
    out: list[int] = []
    for row in ranked:
        meta = table.metadata[row]
        key = (meta.doc_id, meta.page if meta.page is not None else -row)
        if key not in seen:
            seen.add(key)
            out.append(row)
            if len(out) == k:
                break
    return out
