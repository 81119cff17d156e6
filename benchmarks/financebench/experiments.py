"""The runs: the two settings the issue asks for, then each change tried in the shared setting."""

from collections.abc import Callable
from dataclasses import dataclass

from benchmarks.financebench.chunk_table import ChunkTable
from benchmarks.financebench.evaluate import FilterPolicy
from benchmarks.financebench.query_analysis import Catalog, QueryAnalyzer, filter_for
from benchmarks.financebench.questions import EvalQuestion, oracle_filter
from benchmarks.financebench.search import SearchConfig

HYBRID = SearchConfig("hybrid RRF 1:1")
DENSE = SearchConfig("dense", mode="dense")
BM25 = SearchConfig("bm25", mode="bm25")
HYBRID_LEX_HALF = SearchConfig("hybrid RRF dense 1 : bm25 0.5", lexical_weight=0.5)
HYBRID_LEX_DOUBLE = SearchConfig("hybrid RRF dense 1 : bm25 2", lexical_weight=2.0)
HYBRID_PAGES = SearchConfig("hybrid RRF 1:1, best chunk per page", one_per_page=True)

NO_FILTER = "none"
ORACLE = "company+fiscal year (oracle)"
INFERRED = "inferred from question"


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


def base_experiments(base: str, headers: str) -> list[Experiment]:
    """Runs over the retriever's own index and the cheap BM25-with-headers variant."""
    return [
        Experiment("shared, no filter (retriever default)", base, HYBRID, NO_FILTER),
        Experiment("shared, no filter", base, DENSE, NO_FILTER),
        Experiment("shared, no filter", base, BM25, NO_FILTER),
        Experiment("filtered by company + fiscal year", base, HYBRID, ORACLE),
        Experiment("filtered by company + fiscal year", base, DENSE, ORACLE),
        Experiment("filtered by company + fiscal year", base, BM25, ORACLE),
        Experiment("+ inferred ticker/year filter", base, HYBRID, INFERRED),
        Experiment("+ inferred ticker/year filter", base, DENSE, INFERRED),
        Experiment("+ inferred filter, fusion weights", base, HYBRID_LEX_HALF, INFERRED),
        Experiment("+ inferred filter, fusion weights", base, HYBRID_LEX_DOUBLE, INFERRED),
        Experiment("+ BM25 over context header + text", headers, HYBRID, NO_FILTER),
        Experiment("+ BM25 over header, inferred filter", headers, HYBRID, INFERRED),
        Experiment(
            "+ BM25 over header, inferred filter, one chunk per page", headers, HYBRID_PAGES, INFERRED
        ),
        Experiment("filtered (oracle), BM25 over header", headers, HYBRID, ORACLE),
    ]


def variant_experiments(name: str) -> list[Experiment]:
    """Runs over an extra index variant (page titles, chunk size)."""
    return [
        Experiment(f"variant {name}", name, HYBRID, NO_FILTER),
        Experiment(f"variant {name}, inferred filter", name, HYBRID, INFERRED),
        Experiment(f"variant {name}, inferred filter", name, DENSE, INFERRED),
        Experiment(f"variant {name}, oracle filter", name, HYBRID, ORACLE),
    ]
