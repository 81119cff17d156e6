"""The runs: the two settings the issue asks for, then each change tried in the shared setting."""

from collections.abc import Callable
from dataclasses import dataclass

from retriever.chunking import ChunkerParams
from retriever.query_analysis import Catalog, QueryAnalyzer, filter_for

from benchmarks.financebench.chunk_table import ChunkTable
from benchmarks.financebench.evaluate import FilterPolicy
from benchmarks.financebench.questions import EvalQuestion, oracle_filter
from benchmarks.financebench.search import SearchConfig
from benchmarks.financebench.variants import VariantSpec

HYBRID = SearchConfig("hybrid RRF 1:1")
DENSE = SearchConfig("dense", mode="dense")
BM25 = SearchConfig("bm25", mode="bm25")
HYBRID_LEX_HALF = SearchConfig("hybrid RRF dense 1 : bm25 0.5", lexical_weight=0.5)
HYBRID_LEX_DOUBLE = SearchConfig("hybrid RRF dense 1 : bm25 2", lexical_weight=2.0)
HYBRID_PAGES = SearchConfig("hybrid, best chunk per page", one_per_page=True)
BM25_PAGES = SearchConfig("bm25, best chunk per page", mode="bm25", one_per_page=True)
HYBRID_STATEMENTS = SearchConfig("hybrid + statement pages (retriever default)", statements=True)
# Not adopted: page-level recall rises, but financial_qa_10k loses the second-best chunk of a page.
HYBRID_STATEMENTS_PAGES = SearchConfig(
    "hybrid + statement pages, best chunk per page (not adopted)", statements=True, one_per_page=True
)
HYBRID_STATEMENTS_HALF = SearchConfig(
    "hybrid + statement pages at weight 0.5", statements=True, statement_weight=0.5
)

NO_FILTER = "none"
ORACLE = "company+fiscal year (oracle)"
INFERRED = "inferred from question"

DEFAULT_CHUNKS = ChunkerParams()
SMALL_CHUNKS = ChunkerParams(chunk_tokens=128, overlap_tokens=32)
BASE = VariantSpec("c200 (retriever)", DEFAULT_CHUNKS)
HEADERS = VariantSpec("c200, BM25 over header+text", DEFAULT_CHUNKS, bm25_over="embed_text")
# Extra variants, built with --variants NAME,...; each re-chunks (and, for vectors, re-embeds) the corpus.
VARIANTS = {
    "titles": VariantSpec("c200 + page titles", DEFAULT_CHUNKS, titles=True, bm25_over="embed_text"),
    "pages": VariantSpec("c200 page-aligned", DEFAULT_CHUNKS, page_aligned=True, bm25_over="embed_text"),
    "pages+titles": VariantSpec(
        "c200 page-aligned + titles", DEFAULT_CHUNKS, titles=True, page_aligned=True, bm25_over="embed_text"
    ),
    "c128": VariantSpec("c128, BM25 over header+text", SMALL_CHUNKS, bm25_over="embed_text"),
}


@dataclass(frozen=True)
class Experiment:
    """One row of the results table."""

    label: str
    table: str
    config: SearchConfig
    policy: str


def policies(table: ChunkTable, analyzer: QueryAnalyzer) -> dict[str, FilterPolicy]:
    """Filter policies by name; the inferred one only sees the question text and the index's catalog."""
    catalog = Catalog.from_metadata(table.metadata)
    inferred: Callable[[EvalQuestion], dict[str, object] | None] = lambda q: filter_for(  # noqa: E731
        analyzer.analyze(q.question), catalog
    )
    return {NO_FILTER: lambda q: None, ORACLE: oracle_filter, INFERRED: inferred}


def base_experiments() -> list[Experiment]:
    """The two settings over the retriever's chunks, then the search-side changes."""
    base, headers = BASE.name, HEADERS.name
    return [
        Experiment("shared, no filter (retriever default)", base, HYBRID, NO_FILTER),
        Experiment("shared, no filter", base, DENSE, NO_FILTER),
        Experiment("shared, no filter", base, BM25, NO_FILTER),
        Experiment("filtered by company + fiscal year", base, HYBRID, ORACLE),
        Experiment("filtered by company + fiscal year", base, DENSE, ORACLE),
        Experiment("filtered by company + fiscal year", base, BM25, ORACLE),
        Experiment("shared + inferred ticker/year filter", base, HYBRID, INFERRED),
        Experiment("shared + inferred ticker/year filter", base, DENSE, INFERRED),
        Experiment("shared + inferred ticker/year filter", base, BM25, INFERRED),
        Experiment("shared, BM25 sees context header", headers, BM25, NO_FILTER),
        Experiment("shared, BM25 sees context header", headers, HYBRID, NO_FILTER),
        Experiment("shared + inferred filter, BM25 sees header", headers, BM25, INFERRED),
        Experiment("shared + inferred filter, BM25 sees header", headers, HYBRID, INFERRED),
        Experiment("shared + inferred filter, BM25 sees header", headers, HYBRID_LEX_HALF, INFERRED),
        Experiment("shared + inferred filter, BM25 sees header", headers, HYBRID_LEX_DOUBLE, INFERRED),
        Experiment("shared + inferred filter, one chunk per page", headers, BM25_PAGES, INFERRED),
        Experiment("shared + inferred filter, one chunk per page", headers, HYBRID_PAGES, INFERRED),
        Experiment("filtered (oracle), BM25 sees header", headers, BM25, ORACLE),
    ]


def variant_experiments(spec: VariantSpec) -> list[Experiment]:
    """Runs over an extra index variant (page titles, page-aligned chunks, chunk size)."""
    label = f"variant: {spec.name}"
    # Rows that need vectors report "not run" until the variant is embedded (--embed NAME).
    return [
        Experiment(label, spec.name, BM25, NO_FILTER),
        Experiment(label, spec.name, DENSE, NO_FILTER),
        Experiment(label, spec.name, HYBRID, NO_FILTER),
        Experiment(label, spec.name, BM25, INFERRED),
        Experiment(label, spec.name, DENSE, INFERRED),
        Experiment(label, spec.name, HYBRID, INFERRED),
        Experiment(label, spec.name, HYBRID_LEX_HALF, INFERRED),
        Experiment(label, spec.name, HYBRID_LEX_DOUBLE, INFERRED),
        Experiment(label, spec.name, HYBRID_PAGES, INFERRED),
        Experiment(label, spec.name, BM25, ORACLE),
        Experiment(label, spec.name, HYBRID, ORACLE),
        # Needs page titles (the statement a page shows); without them these equal the plain hybrid rows.
        Experiment(label, spec.name, HYBRID_STATEMENTS, NO_FILTER),
        Experiment(label, spec.name, HYBRID_STATEMENTS, INFERRED),
        Experiment(label, spec.name, HYBRID_STATEMENTS_HALF, INFERRED),
        Experiment(label, spec.name, HYBRID_STATEMENTS, ORACLE),
        Experiment(label, spec.name, HYBRID_STATEMENTS_PAGES, NO_FILTER),
        Experiment(label, spec.name, HYBRID_STATEMENTS_PAGES, INFERRED),
    ]
