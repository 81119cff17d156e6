"""Retrieval quality on financial_qa_10k: recall@1/5/10 of the gold context sentence.

A hit is a retrieved chunk that contains most (> --coverage of the word trigrams) of the question's
`context` sentence. Reported dense-only and hybrid (BM25 + RRF), each with the question's ticker as a filter
(oracle), with no filter, and with the filter the retriever infers from the question text (what the gateway
does by default: only questions that name their company get one).

    python benchmarks/retrieval/eval_recall.py --index /tmp/idx --model <minilm folder> --label minilm-200
"""

import argparse
import csv
import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path

from retriever.embedder import Embedder
from retriever.index import SearchIndex

TICKERS = ("AAPL", "MSFT", "META", "NVDA", "TSLA")
KS = (1, 5, 10)
_WORD = re.compile(r"[a-z0-9]+")


def shared_dir() -> Path:
    """Shared data folder: $SHARED_DIR or <repo>/../shared."""
    import os

    env = os.environ.get("SHARED_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[3] / "shared"


def trigrams(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower().replace("'", ""))
    if len(words) < 3:
        return {tuple(words)}
    return {tuple(words[i : i + 3]) for i in range(len(words) - 2)}


def contains_most(chunk: str, context_grams: set[tuple[str, ...]], threshold: float) -> bool:
    grams = trigrams(chunk)
    return len(context_grams & grams) / max(len(context_grams), 1) > threshold


def model_label(model: str) -> str:
    """Readable model name: the hub id, or the folder name (its parent for a bare `model` folder)."""
    path = Path(model)
    if not path.exists():
        return model
    return path.parent.name if path.name == "model" else path.name


def load_questions(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [row for row in csv.DictReader(fh) if row["ticker"] in TICKERS]


FILTER_MODES = ("ticker_filter", "no_filter", "inferred_filter")


def question_filter(index: SearchIndex, row: dict[str, str], mode: str) -> object:
    """The filter a mode searches with."""
    if mode == "ticker_filter":
        return {"type": "eq", "key": "ticker", "value": row["ticker"]}
    if mode == "inferred_filter":
        return index.infer_filter(row["question"])
    return None


def evaluate(index: SearchIndex, rows: list[dict[str, str]], *, mode: str, threshold: float) -> dict:
    found = dict.fromkeys(KS, 0)
    per_ticker: dict[str, list[int]] = {t: [0, 0] for t in TICKERS}
    vectors = index.embedder.embed_queries([r["question"] for r in rows])
    started = time.perf_counter()
    for row, vec in zip(rows, vectors, strict=True):
        hits = index.search(
            row["question"], k=max(KS), filters=question_filter(index, row, mode), query_vector=vec
        )
        grams = trigrams(row["context"])
        rank = next((i for i, h in enumerate(hits, 1) if contains_most(h.text, grams, threshold)), None)
        for k in KS:
            found[k] += rank is not None and rank <= k
        per_ticker[row["ticker"]][0] += rank is not None and rank <= 5
        per_ticker[row["ticker"]][1] += 1
    n = len(rows)
    return {
        **{f"recall@{k}": round(found[k] / n, 4) for k in KS},
        "recall@5_by_ticker": {t: round(a / max(b, 1), 3) for t, (a, b) in per_ticker.items()},
        "ms_per_query": round((time.perf_counter() - started) * 1000 / n, 2),
    }


def findable(index: SearchIndex, rows: list[dict[str, str]], threshold: float) -> float:
    """Upper bound: share of contexts that some chunk of the question's company contains."""
    by_ticker: dict[str, list[set[tuple[str, ...]]]] = {}
    for text, meta in zip(index.store.texts, index.store.metadata, strict=True):
        by_ticker.setdefault(meta.ticker, []).append(trigrams(text))
    hit = 0
    for row in rows:
        grams = trigrams(row["context"])
        need = threshold * max(len(grams), 1)
        hit += any(len(grams & g) > need for g in by_ticker.get(row["ticker"], []))
    return round(hit / len(rows), 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", required=True, type=Path)
    parser.add_argument("--model", required=True)
    parser.add_argument("--backend", default="onnx", choices=["onnx", "torch"])
    parser.add_argument("--label", default="run")
    parser.add_argument("--coverage", type=float, default=0.5)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()

    rows = load_questions(shared_dir() / "eval" / "financial_qa_10k" / "financial_qa_10k_bigtech.csv")
    embedder = Embedder(args.model, backend=args.backend)
    index = SearchIndex.load(args.index, embedder, hybrid=True)
    lexical = index.lexical
    results: dict[str, dict] = {}
    for mode in ("hybrid", "dense"):
        index.lexical = lexical if mode == "hybrid" else None
        for filter_mode in FILTER_MODES:
            name = f"{mode}/{filter_mode}"
            results[name] = evaluate(index, rows, mode=filter_mode, threshold=args.coverage)
            print(name, json.dumps(results[name]))
    report = {
        "label": args.label,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "questions": len(rows),
        "tickers": TICKERS,
        "hit_definition": f"chunk contains > {args.coverage:.0%} of the context sentence's word trigrams",
        "questions_with_inferred_filter": sum(index.infer_filter(r["question"]) is not None for r in rows),
        "findable_upper_bound": findable(index, rows, args.coverage),
        "index": {
            "version": index.version,
            "chunks": len(index),
            "files": len(index.manifest.sources),
            "model": model_label(index.manifest.embedding.model),
            "backend": args.backend,
            "chunker": index.manifest.chunker.model_dump(),
            "index_type": index.manifest.index_type,
        },
        "results": results,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"recall_{args.label}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
