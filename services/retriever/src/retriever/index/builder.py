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
from retriever.index.layout import clean_stale_staging, publish, resolve_version_dir, staging_dir
from retriever.index.lexical import LexicalIndex
from retriever.index.manifest import MANIFEST_FILE, EmbeddingInfo, IndexManifest, SourceFile, content_version
from retriever.index.store import CHUNKS_FILE, ChunkStore, write_chunks
from retriever.index.vectors import build_faiss, load_vectors, save_vectors
from retriever.ingest import ChunkRecord, SkippedFile, chunk_document, parse_documents
from retriever.sources.local import SourceDocument

logger = logging.getLogger(__name__)

IndexType = Literal["flat", "hnsw"]


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
    show_progress: bool,
    parse_cache: Path | None = None,
) -> tuple[list[tuple[SourceDocument, list[ChunkRecord]]], list[SkippedFile]]:
    per_doc: dict[str, tuple[SourceDocument, list[ChunkRecord]]] = {}
    skipped: list[SkippedFile] = []
    for doc, parsed, error in parse_documents(docs, show_progress=show_progress, cache_dir=parse_cache):
        if parsed is None:
            logger.warning("skipping unreadable file %s", error)
            skipped.append(SkippedFile(str(doc.path), error or "unreadable"))
            continue
        per_doc[str(doc.path)] = (doc, chunk_document(doc, parsed, embedder, params))
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


def _vectors_for(
    records: Sequence[ChunkRecord],
    embedder: Embedder,
    known: dict[str, np.ndarray],
    cache: EmbeddingCache | None,
    show_progress: bool,
    on_embed: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, int]:
    hashes = [r.content_hash for r in records]
    missing = [h for h in dict.fromkeys(hashes) if h not in known]
    if cache is not None and missing:
        known = {**known, **cache.get_many(missing)}
        missing = [h for h in missing if h not in known]
    if missing:
        text_of = {r.content_hash: r.embed_text for r in records}
        if on_embed is not None:
            on_embed(len(missing))
        fresh = embedder.embed_documents([text_of[h] for h in missing], show_progress=show_progress)
        if cache is not None:
            cache.put_many(missing, fresh)
        known = {**known, **dict(zip(missing, fresh, strict=True))}
    dim = embedder.dimension
    vectors = np.stack([known[h] for h in hashes]) if hashes else np.zeros((0, dim), dtype=np.float32)
    return vectors.astype(np.float32), len(missing)


def build_index(
    docs: Sequence[SourceDocument],
    embedder: Embedder,
    root: Path,
    *,
    params: ChunkerParams | None = None,
    index_type: IndexType = "flat",
    hybrid: bool = True,
    cache: EmbeddingCache | None = None,
    reuse_previous: bool = True,
    show_progress: bool = False,
    on_embed: Callable[[int], None] | None = None,
    parse_cache: Path | None = None,
) -> BuildResult:
    """Parse, chunk, embed (reusing known vectors) and publish a new version under root."""
    params = params or ChunkerParams()
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    root.mkdir(parents=True, exist_ok=True)
    clean_stale_staging(root)
    ingested, skipped = _ingest(docs, embedder, params, show_progress, parse_cache)
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
    known = _previous_vectors(root, embedder) if reuse_previous else {}
    t1 = time.perf_counter()
    vectors, embedded = _vectors_for(records, embedder, known, cache, show_progress, on_embed)
    timings["embed_s"] = time.perf_counter() - t1
    result = _write_version(root, rows, vectors, embedder, params, index_type, hybrid, timings, t0)
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
    ingested, skipped = _ingest(fresh_docs, embedder, manifest.chunker, show_progress, parse_cache)
    timings = {"parse_chunk_s": time.perf_counter() - t0}
    records = [r for _, recs in ingested for r in recs]
    t1 = time.perf_counter()
    new_vectors, embedded = _vectors_for(records, embedder, {}, cache, show_progress, on_embed)
    timings["embed_s"] = time.perf_counter() - t1
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
