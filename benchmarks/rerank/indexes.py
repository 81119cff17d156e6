"""The two indexes the eval sets are scored on, built once under the FinanceBench cache and reused."""

import logging
from pathlib import Path

from retriever.embedder import Embedder
from retriever.embedding.cache import EmbeddingCache
from retriever.index import IndexLoadError, SearchIndex
from retriever.index.builder import build_index
from retriever.sources.local import read_corpus

from benchmarks.financebench.documents import SharedCorpus
from benchmarks.financebench.experiments import DEFAULT_CHUNKS
from benchmarks.financebench.index_cache import load_or_build
from benchmarks.financebench.paths import corpus_dir

logger = logging.getLogger(__name__)


def shared_index(corpus: SharedCorpus, embedder: Embedder, cache: Path) -> SearchIndex:
    """20 corpus filings + 74 FinanceBench PDFs in one index (the FinanceBench setting)."""
    return load_or_build(corpus, embedder, cache, DEFAULT_CHUNKS, show_progress=False)[0]


def corpus_index(embedder: Embedder, cache: Path) -> SearchIndex:
    """The 20 corpus filings alone, as `make index` builds them (the financial_qa_10k setting).

    Shares the embedding and parse caches with the shared index, whose chunks of these filings are identical.
    """
    root = cache / "index" / "corpus-c200-o48"
    docs = read_corpus(corpus_dir())
    try:
        index = SearchIndex.load(root, embedder, hybrid=True)
        if {s.sha256 for s in index.manifest.sources} == {d.sha256() for d in docs}:
            return index
    except IndexLoadError as exc:
        logger.info("building the corpus index (%s)", exc)
    build_index(
        docs,
        embedder,
        root,
        params=DEFAULT_CHUNKS,
        hybrid=True,
        cache=EmbeddingCache.for_embedder(cache / "embeddings", embedder),
        show_progress=False,
        parse_cache=cache / "parsed",
    )
    return SearchIndex.load(root, embedder, hybrid=True)
