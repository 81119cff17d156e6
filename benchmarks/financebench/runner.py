"""Build or load the shared index (and variants), run every experiment, write the results."""

import argparse
import json
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
from retriever.chunking import ChunkerParams
from retriever.index import SearchIndex

from benchmarks.financebench.chunk_table import ChunkTable
from benchmarks.financebench.companies import load_companies
from benchmarks.financebench.documents import SharedCorpus, shared_corpus, write_manifest
from benchmarks.financebench.embedding import offline_embedder
from benchmarks.financebench.evaluate import Run, evaluate
from benchmarks.financebench.experiments import (
    HYBRID,
    INFERRED,
    NO_FILTER,
    ORACLE,
    Experiment,
    base_experiments,
    policies,
    variant_experiments,
)
from benchmarks.financebench.index_cache import load_or_build
from benchmarks.financebench.paths import RESULTS_DIR, cache_dir
from benchmarks.financebench.query_analysis import QueryAnalyzer
from benchmarks.financebench.questions import EvalQuestion, load_questions
from benchmarks.financebench.report import write_results
from benchmarks.financebench.search import search
from benchmarks.financebench.variants import bm25_with_headers, page_titles_table

logger = logging.getLogger(__name__)

BUILD_TIMES = "build_times.json"
SMALL_CHUNKS = ChunkerParams(chunk_tokens=128, overlap_tokens=32)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the FinanceBench run."""
    parser.add_argument(
        "--full", action="store_true", help="also build/evaluate page-title and 128-token variants"
    )
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    parser.add_argument("--cache", type=Path, default=None, help="default .cache/financebench")
    parser.add_argument("--backend", choices=("onnx", "torch"), default="onnx")
    parser.add_argument("--no-progress", action="store_true")


def _record_build(cache: Path, name: str, seconds: float | None) -> dict[str, Any]:
    path = cache / BUILD_TIMES
    times: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    if seconds is not None:
        times[name] = {
            "seconds": round(seconds, 1),
            "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        path.write_text(json.dumps(times, indent=1))
    return times


def analyzer_for(table: ChunkTable) -> QueryAnalyzer:
    """Issuer names from the index metadata, plus the aliases recorded in tickers.csv."""
    issuers = {(m.ticker, m.company) for m in table.metadata}
    aliases = {c.ticker: [c.company, *c.aliases] for c in load_companies()}
    return QueryAnalyzer.from_names(sorted(issuers), aliases)


def _same_as_retriever(
    index: SearchIndex, table: ChunkTable, questions: list[EvalQuestion], vectors: np.ndarray
) -> bool:
    """The experiment search reproduces SearchIndex.search (hybrid, no filter) on a few questions."""
    for q, v in list(zip(questions, vectors, strict=True))[:8]:
        theirs = [h.id for h in index.search(q.question, k=10, query_vector=v)]
        if theirs != search(table, q.question, v, 10, HYBRID):
            return False
    return True


def _corpus_note(corpus: SharedCorpus) -> str:
    dupes = ", ".join(f"{a} = {t}" for a, t in sorted(corpus.aliases.items()))
    return (
        "20 corpus filings + 74 FinanceBench PDFs; byte-identical files are indexed once and a hit in the "
        f"indexed copy counts as a hit in the evidence document: {dupes}"
    )


def run(args: argparse.Namespace) -> list[Run]:
    """Everything `python -m benchmarks.financebench` does."""
    cache = args.cache or cache_dir()
    show = not args.no_progress
    corpus = shared_corpus()
    write_manifest(corpus, cache / "manifest.csv")
    embedder = offline_embedder(cache, args.backend)
    questions = load_questions(corpus)
    base_params = ChunkerParams()
    index, built = load_or_build(corpus, embedder, cache, base_params, show_progress=show)
    base = ChunkTable.from_index(f"c{base_params.chunk_tokens}-o{base_params.overlap_tokens}", index)
    times = _record_build(cache, base.name, built)
    tables = {base.name: base}
    headers = bm25_with_headers(base, corpus, cache)
    tables[headers.name] = headers
    experiments = base_experiments(base.name, headers.name)
    if args.full:
        titled, seconds = page_titles_table(corpus, embedder, cache, base_params, base)
        times = _record_build(cache, titled.name, seconds)
        tables[titled.name] = titled
        experiments += variant_experiments(titled.name)
        small_index, seconds = load_or_build(corpus, embedder, cache, SMALL_CHUNKS, show_progress=show)
        small = ChunkTable.from_index(
            f"c{SMALL_CHUNKS.chunk_tokens}-o{SMALL_CHUNKS.overlap_tokens}", small_index
        )
        times = _record_build(cache, small.name, seconds)
        tables[small.name] = small
        experiments += variant_experiments(small.name)
    started = time.perf_counter()
    vectors = embedder.embed_queries([q.question for q in questions])
    analyzer = analyzer_for(base)
    runs = [_run_one(e, tables[e.table], questions, vectors, analyzer) for e in experiments]
    cold = times.get(base.name)
    context = {
        "mode": "full" if args.full else "short",
        "machine": _machine(),
        "questions": len(questions),
        "documents": len(corpus.documents),
        "duplicates": corpus.aliases,
        "corpus_note": _corpus_note(corpus),
        "chunks": len(base),
        "embedder": f"all-MiniLM-L6-v2 ({args.backend}{' int8' if args.backend == 'onnx' else ''})",
        "index": {name: t.info for name, t in tables.items()},
        "cold_build": f"{cold['seconds']:.0f} s on {cold['date_utc']} (parse + chunk + embed + FAISS + BM25)"
        if cold
        else "not recorded",
        "build_times": times,
        "search_matches_retriever": _same_as_retriever(index, base, questions, vectors),
        "eval_seconds": round(time.perf_counter() - started, 1),
    }
    detail = {
        e.label for e in experiments if e.config == HYBRID and e.policy in (NO_FILTER, ORACLE, INFERRED)
    }
    json_path, md_path = write_results(args.out, runs, context, detail)
    print(md_path.read_text(encoding="utf-8"))
    print(f"wrote {json_path} and {md_path}")
    return runs


def _run_one(
    experiment: Experiment,
    table: ChunkTable,
    questions: list[EvalQuestion],
    vectors: np.ndarray,
    analyzer: QueryAnalyzer,
) -> Run:
    policy = policies(table, analyzer)[experiment.policy]
    return evaluate(experiment.label, table, questions, vectors, experiment.config, experiment.policy, policy)


def _machine() -> dict[str, object]:
    from benchmarks.loadgen.machine import describe_machine

    return describe_machine()
