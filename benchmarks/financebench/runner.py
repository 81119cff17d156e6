"""Chunk the shared corpus (and variants), run every experiment, write the results."""

import argparse
import json
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
from retriever.query_analysis import QueryAnalyzer, QueryScope

from benchmarks.financebench.chunk_table import ChunkTable
from benchmarks.financebench.documents import SharedCorpus, shared_corpus, write_manifest
from benchmarks.financebench.embedding import offline_embedder
from benchmarks.financebench.evaluate import Run, evaluate
from benchmarks.financebench.experiments import (
    BASE,
    BM25,
    HEADERS,
    HYBRID,
    VARIANTS,
    Experiment,
    base_experiments,
    policies,
    variant_experiments,
)
from benchmarks.financebench.paths import RESULTS_DIR, cache_dir
from benchmarks.financebench.questions import EvalQuestion, load_questions
from benchmarks.financebench.report import write_results
from benchmarks.financebench.variants import build_variant

logger = logging.getLogger(__name__)

BUILD_TIMES = "build_times.json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the FinanceBench run."""
    parser.add_argument(
        "--variants", default="", help=f"extra index variants to build (cached) and run: {','.join(VARIANTS)}"
    )
    parser.add_argument(
        "--embed",
        nargs="?",
        const="all",
        default="",
        metavar="VARIANTS",
        help="embed chunks not yet in the embedding cache: of every index (no value) or of the named comma "
        "list, e.g. --embed pages+titles (about 20 min per 50k chunks on 2 idle cores)",
    )
    parser.add_argument(
        "--retriever-index", action="store_true", help="also build/load `rag-index` and check it"
    )
    parser.add_argument(
        "--no-gateway-search",
        action="store_true",
        help="skip the gateway's own two-stage search on the real `rag-index` (benchmarks.rerank)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    parser.add_argument("--cache", type=Path, default=None, help="default .cache/financebench")
    parser.add_argument("--backend", choices=("onnx", "torch"), default="onnx")
    parser.add_argument("--no-progress", action="store_true")


def _record_build(cache: Path, name: str, seconds: float | None) -> dict[str, Any]:
    path = cache / BUILD_TIMES
    times: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    if seconds is not None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        times[name] = {"seconds": round(seconds, 1), "date_utc": stamp}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(times, indent=1))
    return times


def analyzer_for(table: ChunkTable) -> QueryAnalyzer:
    """The retriever's own: issuer names from the index metadata plus its packaged brand names."""
    return QueryScope.for_metadata(table.metadata).analyzer


def _corpus_note(corpus: SharedCorpus) -> str:
    dupes = ", ".join(f"{a} = {t}" for a, t in sorted(corpus.aliases.items()))
    return (
        "20 corpus filings + 74 FinanceBench PDFs; byte-identical files are indexed once and a hit in the "
        f"indexed copy counts as a hit in the evidence document: {dupes}"
    )


def run(args: argparse.Namespace) -> list[Run]:
    """Everything `python -m benchmarks.financebench` does."""
    cache = args.cache or cache_dir()
    corpus = shared_corpus()
    write_manifest(corpus, cache / "manifest.csv")
    embedder = offline_embedder(cache, args.backend)
    questions = load_questions(corpus)
    keyed = {"base": BASE, "headers": HEADERS}
    for name in filter(None, args.variants.split(",")):
        if name not in VARIANTS:
            raise SystemExit(f"unknown variant {name!r}; expected one of {', '.join(VARIANTS)}")
        keyed[name] = VARIANTS[name]
    specs = list(keyed.values())
    tables: dict[str, ChunkTable] = {}
    times: dict[str, Any] = {}
    for key, spec in keyed.items():
        embed = args.embed == "all" or key in args.embed.split(",")
        table, seconds = build_variant(spec, corpus, embedder, cache, embed_missing=embed)
        times = _record_build(cache, spec.chunking_key + "/" + spec.bm25_over, seconds)
        tables[spec.name] = table
    experiments = base_experiments() + [e for s in specs[2:] for e in variant_experiments(s)]
    started = time.perf_counter()
    vectors = embedder.embed_queries([q.question for q in questions])
    analyzer = analyzer_for(tables[BASE.name])
    runs: list[Run] = []
    for experiment in experiments:
        runs.extend(_run_with_companion(experiment, tables[experiment.table], questions, vectors, analyzer))
    base = tables[BASE.name]
    context = {
        "mode": "+".join(["base", *filter(None, args.variants.split(","))]),
        "machine": _machine(),
        "questions": len(questions),
        "documents": len(corpus.documents),
        "duplicates": corpus.aliases,
        "corpus_note": _corpus_note(corpus),
        "chunks": len(base),
        "embedded": f"{int(base.has_vector.sum())} of {len(base)} chunks of the base variant",
        "embedder": f"all-MiniLM-L6-v2 ({args.backend}{' int8' if args.backend == 'onnx' else ''})",
        "index": {name: t.info for name, t in tables.items()},
        "build_times": times,
        "eval_seconds": round(time.perf_counter() - started, 1),
    }
    if args.retriever_index:
        context["retriever_index"] = _check_retriever_index(corpus, embedder, cache, base, questions, vectors)
    if not args.no_gateway_search:
        context["gateway_search"] = _gateway_search()
    detail = {e.label for e in experiments if e.table == BASE.name}
    json_path, md_path = write_results(args.out, runs, context, detail)
    print(md_path.read_text(encoding="utf-8"))
    print(f"wrote {json_path} and {md_path}")
    return runs


def _run_with_companion(
    experiment: Experiment,
    table: ChunkTable,
    questions: list[EvalQuestion],
    vectors: np.ndarray,
    analyzer: QueryAnalyzer,
) -> list[Run]:
    """The run, plus BM25 on the same questions when vectors were missing for some of them."""
    policy = policies(table, analyzer)[experiment.policy]
    run = evaluate(experiment.label, table, questions, vectors, experiment.config, experiment.policy, policy)
    if run.scores.n == len(questions) or experiment.config.mode == "bm25" or run.scores.n == 0:
        return [run]
    same = {row["qid"] for row in run.per_question}
    companion = evaluate(
        f"{experiment.label} [same {run.scores.n} q]",
        table,
        questions,
        vectors,
        BM25,
        experiment.policy,
        policy,
        same,
    )
    return [run, companion]


def _check_retriever_index(
    corpus: SharedCorpus,
    embedder: Any,
    cache: Path,
    base: ChunkTable,
    questions: list[EvalQuestion],
    vectors: Any,
) -> dict[str, Any]:
    """Build/load the real `rag-index` build and check it has the same chunks and search results."""
    from benchmarks.financebench.index_cache import load_or_build
    from benchmarks.financebench.search import search

    index, seconds = load_or_build(corpus, embedder, cache, BASE.params)
    same_chunks = index.store.texts == base.texts and index.store.metadata == base.metadata
    table = ChunkTable.from_index("rag-index", index)
    same_search = all(
        [h.id for h in index.search(q.question, k=10, query_vector=v)]
        == search(table, q.question, v, 10, HYBRID)
        for q, v in list(zip(questions, vectors, strict=True))[:8]
    )
    return {
        "version": index.version,
        "build_seconds": seconds,
        "same_chunks": same_chunks,
        "same_search": same_search,
    }


def _gateway_search() -> dict[str, Any]:
    """The gateway's search (plan + two stages) on the real shared `rag-index`, per filter policy and second
    stage, scored on all 129 questions and on the company fold the shipped weights never saw."""
    from benchmarks.rerank.__main__ import evaluate_sets
    from benchmarks.rerank.labelled import FINANCEBENCH

    runs, _, _ = evaluate_sets((FINANCEBENCH,))
    return {label: {"all": run.figures(), "fold_B": run.figures(held)} for label, (run, held) in runs.items()}


def _machine() -> dict[str, object]:
    from benchmarks.loadgen.machine import describe_machine

    return describe_machine()
