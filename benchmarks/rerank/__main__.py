"""``python -m benchmarks.rerank {train,evaluate}``: the learned fusion, trained and scored by company fold.

train      fit fold A's model and write it as the retriever's packaged weights (what `make reranker` runs)
evaluate   recall@k on FinanceBench (shared index) and financial_qa_10k (corpus index) for each filter
           policy, without a second stage, with the shipped model (scored on held-out fold B and on
           all), and cross-fitted (every question scored by the model trained on the other fold)
"""

import argparse
import json
import logging
import os
import sys
import time
from importlib import resources
from pathlib import Path

import numpy as np
from retriever.rerank.learned import WEIGHTS_FILE, FusionWeights, LearnedFusion

from benchmarks.financebench.documents import shared_corpus
from benchmarks.financebench.embedding import offline_embedder
from benchmarks.financebench.paths import cache_dir
from benchmarks.rerank.evaluate import recall
from benchmarks.rerank.indexes import corpus_index, shared_index
from benchmarks.rerank.labelled import (
    FINANCEBENCH,
    FQA10K,
    FQA10K_SCORED,
    financebench_questions,
    fold,
    fqa10k_questions,
)
from benchmarks.rerank.report import write_report
from benchmarks.rerank.settings import POLICIES
from benchmarks.rerank.train import collect, fit

RESULTS = Path(__file__).resolve().parent / "results"


def _pairs(index, questions):  # type: ignore[no-untyped-def]
    vectors = index.embedder.embed_queries([q.question for q in questions])
    return [(index, q, v) for q, v in zip(questions, vectors, strict=True)]


def _data() -> dict[str, list]:  # type: ignore[type-arg]
    cache = cache_dir()
    corpus = shared_corpus()
    embedder = offline_embedder(cache)
    shared = shared_index(corpus, embedder, cache)
    local = corpus_index(embedder, cache)
    return {
        FINANCEBENCH: _pairs(shared, financebench_questions(corpus)),
        # All seven companies may train; only the five eval_recall.py scores are reported.
        FQA10K: _pairs(local, fqa10k_questions(scored_only=False)),
    }


def _fold_models(data: dict[str, list]) -> dict[str, FusionWeights]:  # type: ignore[type-arg]
    models = {}
    for name in ("A", "B"):
        pairs = [p for ps in data.values() for p in ps if fold(p[1].ticker) == name]
        models[name] = fit(collect(pairs), note={"fold": name, "split": "by company (sha256 of ticker)"})
    return models


def train(_: argparse.Namespace) -> None:
    """Fit fold A's model and write it into the retriever package."""
    data = _data()
    pairs = [p for ps in data.values() for p in ps if fold(p[1].ticker) == "A"]
    weights = fit(collect(pairs), note={"fold": "A", "split": "by company (sha256 of ticker)"})
    target = _weights_path()
    weights.write(target)
    print(json.dumps(dict(zip(weights.features, weights.coef, strict=True)), indent=1))
    print(f"wrote {target}")


def evaluate_sets(datasets: tuple[str, ...] = (FINANCEBENCH, FQA10K)) -> tuple[dict, dict, FusionWeights]:  # type: ignore[type-arg]
    """Every policy x second stage per dataset: {label: (Recall, fold-B ids)}, fold models, shipped."""
    data = _data()
    models = _fold_models(data)
    shipped = LearnedFusion(FusionWeights.read(_weights_path()))
    cross = {"A": LearnedFusion(models["B"]), "B": LearnedFusion(models["A"])}
    runs = {}
    for dataset in datasets:
        pairs = data[dataset]
        if dataset == FQA10K:
            pairs = [p for p in pairs if p[1].ticker in FQA10K_SCORED]
        held_out = {p[1].qid for p in pairs if fold(p[1].ticker) == "B"}
        for policy in POLICIES:
            for label, reranker in (("none", None), ("shipped", shipped), ("cross-fit", cross)):
                run = recall(f"{dataset}/{policy}/{label}", pairs, policy, reranker)
                runs[run.label] = (run, held_out)
                print(run.label, run.figures(), "fold B:", run.figures(held_out))
    return runs, models, shipped.weights


def evaluate(args: argparse.Namespace) -> None:
    """Every policy x second stage, per dataset; JSON and Markdown under results/."""
    started = time.perf_counter()
    runs, models, shipped = evaluate_sets()
    write_report(args.out, runs, models, shipped, time.perf_counter() - started)


def _weights_path() -> Path:
    return Path(str(resources.files("retriever.rerank").joinpath(WEIGHTS_FILE)))


def latency(args: argparse.Namespace) -> None:
    """Per-query cost of planning and of each second stage on the corpus index, written to results/."""
    from benchmarks.rerank.latency import measure

    cache = cache_dir()
    embedder = offline_embedder(cache)
    index = corpus_index(embedder, cache)
    questions = [q.question for q in fqa10k_questions(scored_only=True)][: args.questions]
    result = measure(index, questions, {"none": None, "fusion": index.default_reranker})
    result["index"] = {"version": index.version, "chunks": len(index)}
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"latency_{time.strftime('%Y-%m-%d', time.gmtime())}.json"
    path.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=1))


def main(argv: list[str] | None = None) -> None:
    """Parse the subcommand and run it."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.rerank",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(required=True)
    sub.add_parser("train", help="fit fold A and write the packaged weights").set_defaults(handler=train)
    ev = sub.add_parser("evaluate", help="recall per policy and second stage")
    ev.add_argument("--out", type=Path, default=RESULTS)
    ev.set_defaults(handler=evaluate)
    lat = sub.add_parser("latency", help="per-query ms of planning and of each second stage")
    lat.add_argument("--questions", type=int, default=300)
    lat.add_argument("--out", type=Path, default=RESULTS)
    lat.set_defaults(handler=latency)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    np.seterr(all="ignore")
    args.handler(args)


if __name__ == "__main__":
    main(sys.argv[1:])
