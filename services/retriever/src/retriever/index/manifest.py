"""manifest.json of an index version."""

import hashlib
import json
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field
from retriever.chunking import ChunkerParams

MANIFEST_FILE = "manifest.json"
# Bump when parsing, chunking or the stored layout changes so identical inputs produce a new version
# (4: chunks.sqlite stores token counts; 5: PDF chunks stay on one page and carry its title).
PIPELINE_VERSION = "5"

# FAISS index kinds (retriever.index.vectors); `rag-index build` picks one from the chunk count unless told.
IndexType = Literal["flat", "hnsw", "hnsw-sq8", "ivf-sq8", "ivf-pq"]


class SourceFile(BaseModel):
    """One indexed file and its checksum."""

    file: str
    sha256: str
    ticker: str
    fiscal_year: int | None = None
    form: str
    chunks: int


class EmbeddingInfo(BaseModel):
    """What produced the vectors; loading checks it against the configured embedder."""

    model: str
    fingerprint: str
    dimension: int
    query_prefix: str
    max_seq_length: int
    backend: str


class IndexManifest(BaseModel):
    """Everything needed to trust, reproduce and version an index build."""

    name: str = "sec-10k"
    version: str
    pipeline_version: str = PIPELINE_VERSION
    created_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    embedding: EmbeddingInfo
    chunker: ChunkerParams
    index_type: IndexType
    hybrid: bool
    chunk_count: int
    sources: list[SourceFile]
    build_seconds: float | None = None


def content_version(
    embedding: EmbeddingInfo, chunker: ChunkerParams, index_type: str, chunk_hashes: list[str]
) -> str:
    """Content hash of a build: same model, parameters and chunks give the same version."""
    digest = hashlib.sha256()
    payload = {
        "pipeline": PIPELINE_VERSION,
        "model": embedding.fingerprint,
        "prefix": embedding.query_prefix,
        "chunker": chunker.model_dump(),
        "index_type": index_type,
    }
    digest.update(json.dumps(payload, sort_keys=True).encode())
    for h in chunk_hashes:
        digest.update(h.encode())
    return digest.hexdigest()[:16]
