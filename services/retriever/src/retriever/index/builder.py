"""Build and extend index versions atomically, reusing vectors instead of re-embedding."""

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from retriever.chunking import ChunkerParams
from retriever.embedder import Embedder
from retriever.embedding.cache import EmbeddingCache
from retriever.hits import ChunkMetadata
from retriever.index.embed_pipeline import EmbeddingPipeline
from retriever.index.layout import clean_stale_staging, publish, resolve_version_dir, staging_dir
from retriever.index.lexical import LexicalIndex
from retriever.index.manifest import (
    MANIFEST_FILE,
    EmbeddingInfo,
    IndexManifest,
    IndexType,
    SourceFile,
    content_version,
)
from retriever.index.store import CHUNKS_FILE, ChunkStore, write_chunks
from retriever.index.vectors import build_faiss, choose_index_type, load_vectors, save_vectors
from retriever.ingest import ChunkRecord, SkippedFile, chunk_document, parse_documents
from retriever.sources.local import SourceDocument

logger = logging.getLogger(__name__)


class BuildError(RuntimeError):
    """A build could not produce an index (nothing readable, or no previous index to add to)."""


@dataclass
class BuildResult:
    """What a build did and how long each stage took."""

    version: str
    folder: Path
    chunk_count: int
    documents: int
    embedded: int
    reused: int
    skipped: list[SkippedFile] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class _Rows:
    texts: list[str] = field(default_factory=list)
    metadata: list[ChunkMetadata] = field(default_factory=list)
    hashes: list[str] = field(default_factory=list)
    page_titles: list[str] = field(default_factory=list)
    sources: list[SourceFile] = field(default_factory=list)

    def lexical_texts(self) -> list[str]:
        """What BM25 indexes: the text under its PDF page's title (statement pages are mostly numbers)."""
        return [f"{t}\n{x}" if t else x for t, x in zip(self.page_titles, self.texts, strict=True)]


def embedding_info(embedder: Embedder) -> EmbeddingInfo:
    """The manifest's record of an embedder."""
    return EmbeddingInfo(
        model=embedder.model_id,
        fingerprint=embedder.fingerprint,
        dimension=embedder.dimension,
        query_prefix=embedder.query_prefix,
        max_seq_length=embedder.max_seq_length,
        backend=embedder.backend,
    )


def _ingest(
    docs: Sequence[SourceDocument],
    embedder: Embedder,
    params: ChunkerParams,
    pipeline: EmbeddingPipeline,
    show_progress: bool,
    parse_cache: Path | None = None,
) -> tuple[list[tuple[SourceDocument, list[ChunkRecord]]], list[SkippedFile]]:
    """Parse and chunk every file, queueing each file's chunks for embedding as soon as it is chunked."""
    per_doc: dict[str, tuple[SourceDocument, list[ChunkRecord]]] = {}
    skipped: list[SkippedFile] = []
    for doc, parsed, error in parse_documents(docs, show_progress=show_progress, cache_dir=parse_cache):
        if parsed is None:
            logger.warning("skipping unreadable file %s", error)
            skipped.append(SkippedFile(str(doc.path), error or "unreadable"))
            continue
        records = chunk_document(doc, parsed, embedder, params)
        pipeline.submit(records)
        per_doc[str(doc.path)] = (doc, records)
    # Manifest order, not completion order, so identical inputs give identical ids.
    return [per_doc[str(d.path)] for d in docs if str(d.path) in per_doc], skipped


def _previous_vectors(root: Path, embedder: Embedder) -> dict[str, np.ndarray]:
    folder = resolve_version_dir(root)
    if folder is None:
        return {}
    try:
        manifest = IndexManifest.model_validate_json((folder / MANIFEST_FILE).read_text())
        if manifest.embedding.fingerprint != embedder.fingerprint:
            return {}
        store = ChunkStore.load(folder / CHUNKS_FILE)
        _, vectors = load_vectors(folder)
    except Exception as exc:  # a corrupt previous version only means nothing to reuse
        logger.warning("cannot reuse vectors from %s: %s", folder, exc)
        return {}
    return dict(zip(store.hashes, vectors, strict=True))


def build_index(
    docs: Sequence[SourceDocument],
    embedder: Embedder,
    root: Path,
    *,
    params: ChunkerParams | None = None,
    index_type: IndexType | Literal["auto"] = "auto",
    hybrid: bool = True,
    cache: EmbeddingCache | None = None,
    reuse_previous: bool = True,
    show_progress: bool = False,
    on_embed: Callable[[int], None] | None = None,
    parse_cache: Path | None = None,
    overlap: bool = True,
) -> BuildResult:
    """Parse, chunk, embed (reusing known vectors) and publish a new version under root.

    index_type "auto" builds the exact flat index for small corpora and an approximate one above
    (choose_index_type). overlap=False embeds only after every file is parsed (for comparison).
    """
    params = params or ChunkerParams()
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    root.mkdir(parents=True, exist_ok=True)
    clean_stale_staging(root)
    known = _previous_vectors(root, embedder) if reuse_previous else {}
    with EmbeddingPipeline(
        embedder, known, cache, show_progress=show_progress, on_embed=on_embed, overlap=overlap
    ) as pipeline:
        ingested, skipped = _ingest(docs, embedder, params, pipeline, show_progress, parse_cache)
        timings["parse_chunk_s"] = time.perf_counter() - t0
        if not ingested:
            raise BuildError(f"no readable filings among {len(docs)} file(s); nothing to index")
        rows = _Rows()
        records: list[ChunkRecord] = []
        for doc, recs in ingested:
            records.extend(recs)
            rows.sources.append(_source_entry(doc, len(recs)))
        rows.texts = [r.text for r in records]
        rows.metadata = [r.metadata for r in records]
        rows.hashes = [r.content_hash for r in records]
        rows.page_titles = [r.page_title for r in records]
        t1 = time.perf_counter()
        vectors = pipeline.vectors(rows.hashes)
        _embed_timings(timings, pipeline, time.perf_counter() - t1)
        embedded = pipeline.embedded
    chosen = choose_index_type(len(records)) if index_type == "auto" else index_type
    result = _write_version(root, rows, vectors, embedder, params, chosen, hybrid, timings, t0)
    result.documents, result.embedded, result.reused, result.skipped = (
        len(ingested),
        embedded,
        len(records) - embedded,
        skipped,
    )
    return result


def add_documents(
    docs: Sequence[SourceDocument],
    embedder: Embedder,
    root: Path,
    *,
    cache: EmbeddingCache | None = None,
    show_progress: bool = False,
    on_embed: Callable[[int], None] | None = None,
    parse_cache: Path | None = None,
) -> BuildResult:
    """New version = current version + chunks of docs not yet indexed; existing vectors are copied."""
    t0 = time.perf_counter()
    folder = resolve_version_dir(root)
    if folder is None:
        raise BuildError(f"no index at {root} to add to (run `rag-index build` first)")
    manifest = IndexManifest.model_validate_json((folder / MANIFEST_FILE).read_text())
    store = ChunkStore.load(folder / CHUNKS_FILE)
    _, old_vectors = load_vectors(folder)
    indexed = {s.sha256 for s in manifest.sources}
    fresh_docs = [d for d in docs if d.sha256() not in indexed]
    with EmbeddingPipeline(embedder, {}, cache, show_progress=show_progress, on_embed=on_embed) as pipeline:
        ingested, skipped = _ingest(
            fresh_docs, embedder, manifest.chunker, pipeline, show_progress, parse_cache
        )
        timings = {"parse_chunk_s": time.perf_counter() - t0}
        records = [r for _, recs in ingested for r in recs]
        t1 = time.perf_counter()
        new_vectors = pipeline.vectors([r.content_hash for r in records])
        _embed_timings(timings, pipeline, time.perf_counter() - t1)
        embedded = pipeline.embedded
    rows = _Rows(
        texts=[*store.texts, *(r.text for r in records)],
        metadata=[*store.metadata, *(r.metadata for r in records)],
        hashes=[*store.hashes, *(r.content_hash for r in records)],
        page_titles=[*store.page_titles, *(r.page_title for r in records)],
        sources=[*manifest.sources, *(_source_entry(d, len(recs)) for d, recs in ingested)],
    )
    vectors = np.concatenate([old_vectors, new_vectors]) if len(records) else old_vectors
    result = _write_version(
        root, rows, vectors, embedder, manifest.chunker, manifest.index_type, manifest.hybrid, timings, t0
    )
    result.documents, result.embedded, result.reused, result.skipped = (
        len(ingested),
        embedded,
        len(records) - embedded,
        skipped,
    )
    return result


def _embed_timings(timings: dict[str, float], pipeline: EmbeddingPipeline, wait_s: float) -> None:
    # Embedding overlaps parsing: embed_s spans the first to the last embedded group, embed_wait_s is what
    # was left after the last file was chunked.
    timings["embed_s"] = pipeline.span_s
    timings["embed_busy_s"] = pipeline.busy_s
    timings["embed_wait_s"] = wait_s


def _source_entry(doc: SourceDocument, chunks: int) -> SourceFile:
    return SourceFile(
        file=doc.path.name,
        sha256=doc.sha256(),
        ticker=doc.ticker,
        fiscal_year=doc.fiscal_year,
        form=doc.form,
        chunks=chunks,
    )


def _write_version(
    root: Path,
    rows: _Rows,
    vectors: np.ndarray,
    embedder: Embedder,
    params: ChunkerParams,
    index_type: IndexType,
    hybrid: bool,
    timings: dict[str, float],
    started: float,
) -> BuildResult:
    info = embedding_info(embedder)
    version = content_version(info, params, index_type, rows.hashes)
    t2 = time.perf_counter()
    staged = staging_dir(root)
    # Token counts ride along so the gateway fits prompts without re-tokenizing passages per request.
    tokens = embedder.count_tokens_batch(rows.texts)
    write_chunks(staged / CHUNKS_FILE, rows.texts, rows.metadata, rows.hashes, tokens, rows.page_titles)
    save_vectors(staged, build_faiss(vectors, index_type), vectors)
    if hybrid:
        LexicalIndex.build(rows.lexical_texts()).save(staged)
    timings["index_s"] = time.perf_counter() - t2
    timings["total_s"] = time.perf_counter() - started
    manifest = IndexManifest(
        version=version,
        embedding=info,
        chunker=params,
        index_type=index_type,
        hybrid=hybrid,
        chunk_count=len(rows.texts),
        sources=rows.sources,
        build_seconds=round(timings["total_s"], 2),
    )
    # The manifest is written last: a staging folder without one is never loadable.
    (staged / MANIFEST_FILE).write_text(manifest.model_dump_json(indent=2))
    final = publish(root, staged, version)
    logger.info("published index %s (%d chunks) at %s", version, len(rows.texts), final)
    return BuildResult(
        version=version,
        folder=final,
        chunk_count=len(rows.texts),
        documents=0,
        embedded=0,
        reused=0,
        timings=timings,
    )
