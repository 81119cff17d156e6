"""The searchable rows of an index variant: texts, metadata, vectors, BM25 and filter columns."""

from dataclasses import dataclass
from typing import Any

import numpy as np
from retriever.filters import Column
from retriever.hits import ChunkMetadata
from retriever.index import SearchIndex
from retriever.index.lexical import LexicalIndex


@dataclass(frozen=True)
class ChunkTable:
    """Everything a search needs, whether it comes from a retriever index or an experiment build."""

    name: str
    texts: list[str]
    metadata: list[ChunkMetadata]
    vectors: np.ndarray
    lexical: LexicalIndex
    columns: dict[str, Column]
    info: dict[str, Any]
    # Rows that have a vector; dense search is only valid over these.
    has_vector: np.ndarray
    # Primary statement of each row's page (retriever.statements codes; 0 = none or unknown).
    statements: np.ndarray

    def embedded(self, mask: np.ndarray | None) -> bool:
        """Whether every row selected by mask (all rows when None) has a vector."""
        return bool(self.has_vector.all() if mask is None else self.has_vector[mask].all())

    @classmethod
    def from_index(cls, name: str, index: SearchIndex) -> "ChunkTable":
        """Wrap a loaded retriever index (which must have been built with hybrid=True)."""
        if index.lexical is None:
            raise ValueError(f"index {index.version} has no BM25 part; build it with hybrid=True")
        info = {
            "version": index.version,
            "chunks": len(index),
            "chunker": index.manifest.chunker.model_dump(),
            "embedding_model": index.manifest.embedding.model,
            "embedding_backend": index.manifest.embedding.backend,
        }
        return cls(
            name,
            index.store.texts,
            index.store.metadata,
            index.vectors,
            index.lexical,
            index.store.columns,
            info,
            np.ones(len(index), dtype=bool),
            index.store.statements,
        )

    def __len__(self) -> int:
        return len(self.texts)
