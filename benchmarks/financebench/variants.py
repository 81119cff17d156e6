"""Index variants the retriever cannot build yet, made from its building blocks and cached on disk.

- `bm25_with_headers`: the retriever's chunks and vectors, but BM25 over the context header + text
  (the retriever's BM25 sees only the raw text, so company, year and form never match lexically).
- `page_titles`: chunks re-embedded with the page's heading lines after the context header; BM25 likewise.
"""

import json
import logging
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
from retriever.chunking import ChunkerParams
from retriever.embedder import Embedder
from retriever.embedding.cache import EmbeddingCache
from retriever.hits import ChunkMetadata
from retriever.index.lexical import LexicalIndex
from retriever.ingest import ChunkRecord, chunk_document, context_header
from retriever.parsing.cache import parse_cached
from retriever.parsing.document import ParsedDocument
from retriever.sources.local import SourceDocument

from benchmarks.financebench.chunk_table import ChunkTable
from benchmarks.financebench.documents import SharedCorpus
from benchmarks.financebench.page_titles import page_titles

logger = logging.getLogger(__name__)

ROWS_FILE = "rows.json"
VECTORS_FILE = "vectors.npy"


def _header_for(meta: ChunkMetadata, docs: dict[str, SourceDocument]) -> str:
    return context_header(docs[meta.doc_id], meta.item, meta.item_title)


def bm25_with_headers(base: ChunkTable, corpus: SharedCorpus, cache: Path) -> ChunkTable:
    """Same rows and vectors as base, BM25 rebuilt over 'header\\ntext' (cached)."""
    folder = cache / "variants" / f"{base.name}+bm25-headers" / base.info["version"]
    docs = {d.doc_id: d for d in corpus.documents}
    if (folder / "bm25").exists():
        lexical = LexicalIndex.load(folder)
    else:
        texts = [f"{_header_for(m, docs)}\n{t}" for m, t in zip(base.metadata, base.texts, strict=True)]
        lexical = LexicalIndex.build(texts)
        folder.mkdir(parents=True, exist_ok=True)
        lexical.save(folder)
    info = {**base.info, "bm25_text": "context header + chunk text"}
    return ChunkTable(
        f"{base.name}+bm25-headers", base.texts, base.metadata, base.vectors, lexical, base.columns, info
    )


def _with_title(record: ChunkRecord, titles: list[str], doc: SourceDocument) -> ChunkRecord:
    meta = record.metadata
    title = titles[meta.page - 1] if meta.page and titles else ""
    if not title:
        return record
    header = context_header(doc, meta.item, meta.item_title)
    return ChunkRecord(text=record.text, embed_text=f"{header}\n{title}\n{record.text}", metadata=meta)


def _records(
    corpus: SharedCorpus, embedder: Embedder, params: ChunkerParams, parse_cache: Path
) -> list[ChunkRecord]:
    records: list[ChunkRecord] = []
    for doc in corpus.documents:
        parsed: ParsedDocument = parse_cached(doc.path, doc.format, parse_cache)
        titles = page_titles(parsed)
        records.extend(_with_title(r, titles, doc) for r in chunk_document(doc, parsed, embedder, params))
    return records


def page_titles_table(
    corpus: SharedCorpus, embedder: Embedder, cache: Path, params: ChunkerParams, columns_from: ChunkTable
) -> tuple[ChunkTable, float | None]:
    """The page-title variant, built (re-embedding only changed texts) when not cached."""
    name = f"c{params.chunk_tokens}-o{params.overlap_tokens}+page-titles"
    folder = cache / "variants" / name
    built: float | None = None
    if not (folder / ROWS_FILE).exists():
        started = time.perf_counter()
        records = _records(corpus, embedder, params, cache / "parsed")
        store = EmbeddingCache(cache / "embeddings", embedder.fingerprint, embedder.dimension)
        hashes = [r.content_hash for r in records]
        known = store.get_many(list(dict.fromkeys(hashes)))
        missing = [h for h in dict.fromkeys(hashes) if h not in known]
        text_of = {r.content_hash: r.embed_text for r in records}
        logger.info("page-titles variant: %d chunks, %d to embed", len(records), len(missing))
        if missing:
            fresh = embedder.embed_documents([text_of[h] for h in missing], show_progress=True)
            store.put_many(missing, fresh)
            known |= dict(zip(missing, fresh, strict=True))
        vectors = np.stack([known[h] for h in hashes]).astype(np.float32)
        folder.mkdir(parents=True, exist_ok=True)
        LexicalIndex.build([r.embed_text for r in records]).save(folder)
        np.save(folder / VECTORS_FILE, vectors)
        rows = [{"text": r.text, "embed_text": r.embed_text, "metadata": asdict(r.metadata)} for r in records]
        (folder / ROWS_FILE).write_text(json.dumps(rows))
        built = time.perf_counter() - started
    rows = json.loads((folder / ROWS_FILE).read_text())
    metadata = [ChunkMetadata(**row["metadata"]) for row in rows]
    if metadata != columns_from.metadata:
        raise ValueError(f"{name}: chunks differ from the base index; delete {folder} and rebuild")
    info = {"chunks": len(rows), "chunker": params.model_dump(), "embed_text": "header + page title + text"}
    table = ChunkTable(
        name,
        [row["text"] for row in rows],
        metadata,
        np.load(folder / VECTORS_FILE),
        LexicalIndex.load(folder),
        # Same documents and chunking as the base index, so its filter columns apply row for row.
        columns_from.columns,
        info,
    )
    return table, built
