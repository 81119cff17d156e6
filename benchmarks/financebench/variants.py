"""Index variants the retriever cannot build yet, made from its building blocks and cached on disk.

Chunks come from the retriever's own `chunk_document` (so the base variant equals `rag-index build`),
optionally cut at page breaks (exact page numbers) and/or with the page's heading lines embedded after the
context header (table handling). BM25 runs over the chunk text (as the retriever does) or over the embedded
text (context header + title + text). Vectors come from the shared embedding cache; rows not embedded yet
are marked, so dense runs can be limited to questions whose candidate rows all have vectors.
"""

import json
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from retriever.chunking import ChunkerParams, chunk_sections
from retriever.embedder import Embedder
from retriever.embedding.cache import EmbeddingCache
from retriever.hits import ChunkMetadata
from retriever.index.lexical import LexicalIndex
from retriever.index.store import ChunkStore
from retriever.ingest import ChunkRecord, embedded_text, piece_metadata, split_at_pages
from retriever.parsing.cache import parse_cached
from retriever.parsing.document import ParsedDocument
from retriever.parsing.page_titles import page_titles
from retriever.parsing.sections import sectionize
from retriever.sources.local import SourceDocument

from benchmarks.financebench.chunk_table import ChunkTable
from benchmarks.financebench.documents import SharedCorpus

logger = logging.getLogger(__name__)

ROWS_FILE = "rows.json"
# Tokens the retriever reserves for the context header (retriever.ingest.chunk_document).
HEADER_BUDGET = 32
# Embed in slices so an interrupted cold build keeps what it has done.
EMBED_BATCH = 512


def chunk_records(
    doc: SourceDocument,
    parsed: ParsedDocument,
    embedder: Embedder,
    params: ChunkerParams,
    *,
    titles: bool,
    page_aligned: bool,
) -> list[ChunkRecord]:
    """Chunks as the retriever made them before pipeline 5 (crossing page breaks, no titles), or with
    either change; pipeline 5's chunk_document is page_aligned=True, titles=True."""
    records = _records(doc, parsed, embedder, params, page_aligned=page_aligned)
    if not titles:
        return records
    page_title_list = page_titles(parsed)
    return [_with_title(r, page_title_list) for r in records]


def _records(
    doc: SourceDocument,
    parsed: ParsedDocument,
    embedder: Embedder,
    params: ChunkerParams,
    *,
    page_aligned: bool,
) -> list[ChunkRecord]:
    sections = sectionize(parsed, doc.form)
    if page_aligned and parsed.paginated:
        sections = split_at_pages(sections, parsed.page_starts)
    budget = min(params.chunk_tokens, embedder.max_seq_length - HEADER_BUDGET)
    effective = params.model_copy(update={"chunk_tokens": budget})
    pieces = chunk_sections(
        parsed.text, sections, effective, embedder.count_tokens_batch, embedder.split_by_tokens
    )
    records: list[ChunkRecord] = []
    for piece in pieces:
        meta = piece_metadata(doc, parsed, piece)
        text = parsed.text[piece.start : piece.end]
        records.append(ChunkRecord(text=text, embed_text=embedded_text(meta, "", text), metadata=meta))
    return records


def _with_title(record: ChunkRecord, titles: list[str]) -> ChunkRecord:
    meta = record.metadata
    title = titles[meta.page - 1] if meta.page and titles else ""
    if not title:
        return record
    return ChunkRecord(text=record.text, embed_text=embedded_text(meta, title, record.text), metadata=meta)


@dataclass(frozen=True)
class VariantSpec:
    """How an index variant chunks, what it embeds and what BM25 sees."""

    name: str
    params: ChunkerParams
    titles: bool = False
    page_aligned: bool = False
    # "text" is what the retriever indexes; "embed_text" adds the context header (and title).
    bm25_over: Literal["text", "embed_text"] = "text"

    @property
    def chunking_key(self) -> str:
        """Variants that chunk the same way share their rows on disk."""
        pages = "+pages" if self.page_aligned else ""
        titles = "+titles" if self.titles else ""
        return f"c{self.params.chunk_tokens}-o{self.params.overlap_tokens}{pages}{titles}"


def build_variant(
    spec: VariantSpec, corpus: SharedCorpus, embedder: Embedder, cache: Path, *, embed_missing: bool
) -> tuple[ChunkTable, float | None]:
    """Chunk (cached), BM25 (cached) and vectors from the embedding cache; returns build seconds if built."""
    folder = cache / "variants" / spec.chunking_key
    lexical_dir = folder / f"lexical-{spec.bm25_over}"
    built: float | None = None
    started = time.perf_counter()
    if not (folder / ROWS_FILE).exists():
        records: list[ChunkRecord] = []
        for doc in corpus.documents:
            parsed = parse_cached(doc.path, doc.format, cache / "parsed")
            records.extend(
                chunk_records(
                    doc, parsed, embedder, spec.params, titles=spec.titles, page_aligned=spec.page_aligned
                )
            )
        folder.mkdir(parents=True, exist_ok=True)
        rows = [
            {
                "text": r.text,
                "embed_text": r.embed_text,
                "hash": r.content_hash,
                "metadata": asdict(r.metadata),
            }
            for r in records
        ]
        (folder / ROWS_FILE).write_text(json.dumps(rows))
        built = time.perf_counter() - started
    rows = json.loads((folder / ROWS_FILE).read_text())
    if not (lexical_dir / "bm25").exists():
        lexical_dir.mkdir(parents=True, exist_ok=True)
        LexicalIndex.build([row[spec.bm25_over] for row in rows]).save(lexical_dir)
        built = time.perf_counter() - started
    hashes = [row["hash"] for row in rows]
    if embed_missing:
        _embed_missing(rows, embedder, cache)
    vectors, has_vector = _cached_vectors(hashes, embedder, cache)
    texts = [row["text"] for row in rows]
    metadata = [ChunkMetadata(**row["metadata"]) for row in rows]
    # With titles, embed_text is "header\ntitle\ntext" (retriever.ingest); a title names its statement.
    titles = [row["embed_text"].split("\n", 2)[1] if spec.titles else "" for row in rows]
    store = ChunkStore(texts, metadata, hashes, page_titles=titles)
    info = {
        "chunks": len(rows),
        "embedded": int(has_vector.sum()),
        "chunker": spec.params.model_dump(),
        "page_titles": spec.titles,
        "page_aligned": spec.page_aligned,
        "bm25_over": spec.bm25_over,
    }
    lexical = LexicalIndex.load(lexical_dir)
    table = ChunkTable(
        spec.name, texts, metadata, vectors, lexical, store.columns, info, has_vector, store.statements
    )
    return table, built


def _cached_vectors(hashes: list[str], embedder: Embedder, cache: Path) -> tuple[np.ndarray, np.ndarray]:
    store = EmbeddingCache.for_embedder(cache / "embeddings", embedder)
    known = store.get_many(list(dict.fromkeys(hashes)))
    vectors = np.zeros((len(hashes), embedder.dimension), dtype=np.float32)
    has_vector = np.zeros(len(hashes), dtype=bool)
    for i, h in enumerate(hashes):
        if (v := known.get(h)) is not None:
            vectors[i] = v
            has_vector[i] = True
    return vectors, has_vector


def _embed_missing(rows: list[dict[str, Any]], embedder: Embedder, cache: Path) -> None:
    """Embed texts not in the shared embedding cache (the expensive, cold part of a build)."""
    store = EmbeddingCache.for_embedder(cache / "embeddings", embedder)
    text_of = {row["hash"]: row["embed_text"] for row in rows}
    unique = list(text_of)
    known = store.get_many(unique)
    missing = [h for h in unique if h not in known]
    logger.info("%d of %d chunk texts to embed", len(missing), len(unique))
    for lo in range(0, len(missing), EMBED_BATCH):
        part = missing[lo : lo + EMBED_BATCH]
        store.put_many(part, embedder.embed_documents([text_of[h] for h in part]))
