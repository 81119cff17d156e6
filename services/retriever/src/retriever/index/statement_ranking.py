"""A third ranking for hybrid search: the pages of the financial statements a question needs."""

import numpy as np
from retriever.index.vectors import top_k
from retriever.statements import question_statements


def statement_ranking(
    column: np.ndarray,
    vectors: np.ndarray,
    question: str,
    query_vector: np.ndarray,
    mask: np.ndarray | None,
    depth: int,
) -> np.ndarray | None:
    """Chunks of the statements the question needs (within the mask), best dense match first.

    `column` holds each chunk's page statement (retriever.statements codes). None when the question needs
    no statement or the index holds no page of those statements. Fused with the dense and BM25 rankings,
    it lifts statement pages that neither ranks high on its own.
    """
    if not column.any():  # no statement pages (e.g. HTML-only corpora): skip the question's regexes
        return None
    wanted = question_statements(question)
    if not wanted:
        return None
    selected = np.isin(column, np.fromiter((int(s) for s in wanted), dtype=np.uint8))
    if mask is not None:
        selected &= mask
    rows = np.flatnonzero(selected)
    if len(rows) == 0:
        return None
    sims = (vectors[rows] @ query_vector).astype(np.float32)
    return top_k(sims, rows.astype(np.int64), depth)[0]
