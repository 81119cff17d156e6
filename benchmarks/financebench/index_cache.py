"""Build the shared index once per variant under the cache folder and reuse it while its inputs match."""

import logging
import time
from pathlib import Path

from retriever.chunking import ChunkerParams
from retriever.embedder import Embedder
from retriever.embedding.cache import EmbeddingCache
from retriever.index import IndexLoadError, SearchIndex
from retriever.index.builder import build_index

from benchmarks.financebench.documents import SharedCorpus

logger = logging.getLogger(__name__)


def _matches(index: SearchIndex, corpus: SharedCorpus, params: ChunkerParams) -> bool:
    wanted = {d.sha256() for d in corpus.documents}
    have = {s.sha256 for s in index.manifest.sources}
    return have == wanted and index.manifest.chunker == params and index.manifest.hybrid


def load_or_build(
    corpus: SharedCorpus,
    embedder: Embedder,
    cache: Path,
    params: ChunkerParams,
    *,
    show_progress: bool = True,
) -> tuple[SearchIndex, float | None]:
    """The cached index for these chunker params, built first if missing or stale; returns build seconds."""
    root = cache / "index" / f"c{params.chunk_tokens}-o{params.overlap_tokens}"
    try:
        index = SearchIndex.load(root, embedder, hybrid=True)
        if _matches(index, corpus, params):
            return index, None
        logger.info("cached index at %s is stale; rebuilding", root)
    except IndexLoadError as exc:
        logger.info("no usable cached index (%s); building", exc)
    started = time.perf_counter()
    result = build_index(
        corpus.documents,
        embedder,
        root,
        params=params,
        hybrid=True,
        cache=EmbeddingCache.for_embedder(cache / "embeddings", embedder),
        show_progress=show_progress,
        parse_cache=cache / "parsed",
    )
    elapsed = time.perf_counter() - started
    logger.info("built %s: %d chunks in %.0f s %s", root, result.chunk_count, elapsed, result.timings)
    return SearchIndex.load(root, embedder, hybrid=True), elapsed
