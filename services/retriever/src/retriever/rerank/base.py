"""The second retrieval stage: reorder the top fused candidates of one query."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from retriever.hits import ChunkMetadata


@dataclass(frozen=True)
class CandidateSet:
    """The first stage's best candidates for one query, in fused order, with what each stage said of them.

    `features` maps a feature name (e.g. "dense", "bm25", "rrf") to one float per candidate, aligned with
    `ids`; a reranker that reads text ignores it, a learned fusion reads only it.
    """

    query: str
    ids: np.ndarray
    texts: Sequence[str]
    metadata: Sequence[ChunkMetadata]
    features: Mapping[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.ids)


class RerankError(RuntimeError):
    """The reranker could not score (e.g. its server is down); the caller keeps the first-stage order."""


class Reranker(Protocol):
    """Scores candidates; higher is better. Must return one finite float per candidate."""

    name: str

    def score(self, candidates: CandidateSet) -> np.ndarray:
        """Relevance of each candidate to `candidates.query`, aligned with `candidates.ids`."""
        ...
