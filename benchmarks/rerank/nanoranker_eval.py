"""nanoranker (PyPI 1.2, MIT) as the second stage: alone, and as two more features of the learned fusion.

    python -m benchmarks.rerank.nanoranker_eval [--cache /tmp/nanoranker_cache] [--latency-questions 40]

nanoranker embeds the query and each document as 576 floats (Universal Sentence Encoder multilingual, int8
ONNX, 512; plus a 64-bucket hashed character 1-6-gram vector) and scores each (query, document) pair with an
MLP over the concatenation (a sigmoid, 0..1). It sets no length limit and none was found: text appended after
1,000 words still moves the embedding and the time grows linearly, so a long chunk is averaged, not cut.
`rank()` returns (text, score) pairs sorted, top 10 by default, normalised to sum 1 unless
`normalize_scores=False`. Here the same three steps run factored (a chunk's embedding does not depend on the
query, so it is computed once per chunk and cached); the scores are checked against `rank()` on the latency
sample, and the latency is `rank()` itself on the 50 candidates.

Same questions, indexes, plans and candidates as `python -m benchmarks.rerank evaluate`, for the inferred and
the no-filter policy (the ones the fusion is trained on):
  nanoranker             its score alone reorders the 50 fused candidates
  cross-fit              the learned fusion, fitted per company fold and scored on the other (as evaluate)
  cross-fit+nanoranker   the same with two more features (nanoranker's log-odds minus the best candidate's,
                         and its rank as 60/(60+rank)), fitted on the same folds and rows
Scores are cached per (index version, query, chunk id) under --cache, so a rerun only searches and fits.
"""

import argparse
import contextlib
import hashlib
import json
import math
import multiprocessing
import os
import statistics
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
from retriever.index import SearchIndex
from retriever.rerank import learned
from retriever.rerank.base import CandidateSet
from retriever.rerank.features import FEATURES
from retriever.rerank.learned import FusionWeights, LearnedFusion

from benchmarks.rerank import train
from benchmarks.rerank.__main__ import _data, _fold_models, _weights_path
from benchmarks.rerank.evaluate import recall
from benchmarks.rerank.labelled import FQA10K, FQA10K_SCORED, fold
from benchmarks.rerank.report import recall_table
from benchmarks.rerank.settings import INFERRED, NO_FILTER, plan_for

RESULTS = Path(__file__).resolve().parent / "results"
POLICIES = (INFERRED, NO_FILTER)
NANO_FEATURES = ("nano_rel", "nano_rrf")
EXTENDED = (*FEATURES, *NANO_FEATURES)
_DIM = 576  # 512 semantic + 64 hashed character n-grams


def _embed_texts(texts: Sequence[str]) -> np.ndarray:
    """nanoranker.embed of each text (run in a worker process)."""
    import nanoranker

    return np.stack([nanoranker.embed(t) for t in texts]) if texts else np.zeros((0, _DIM))


def _key(query: str) -> str:
    return hashlib.sha1(query.encode("utf-8")).hexdigest()[:16]


class NanoScores:
    """nanoranker's raw score per (index version, query, chunk id), cached on disk."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._scores_path = folder / "scores.json"
        self.scores: dict[str, dict[str, dict[str, float]]] = (
            json.loads(self._scores_path.read_text()) if self._scores_path.is_file() else {}
        )
        self._docs: dict[str, dict[int, np.ndarray]] = {}

    def _doc_path(self, version: str) -> Path:
        return self.folder / f"doc_embeddings_{version}.npz"

    def docs(self, version: str) -> dict[int, np.ndarray]:
        """Chunk id -> nanoranker embedding for one index version (loaded from disk once)."""
        if version not in self._docs:
            path = self._doc_path(version)
            self._docs[version] = {}
            if path.is_file():
                data = np.load(path)
                self._docs[version] = dict(zip(data["ids"].tolist(), data["emb"], strict=True))
        return self._docs[version]

    def save(self) -> None:
        """Scores as JSON, chunk embeddings as one npz per index version."""
        self._scores_path.write_text(json.dumps(self.scores), encoding="utf-8")
        for version, docs in self._docs.items():
            ids = np.array(sorted(docs), dtype=np.int64)
            emb = np.stack([docs[i] for i in ids.tolist()]) if len(ids) else np.zeros((0, _DIM))
            np.savez(self._doc_path(version), ids=ids, emb=emb)

    def lookup(self, version: str, query: str, ids: np.ndarray) -> np.ndarray | None:
        """Cached scores aligned with ids, or None if any is missing."""
        got = self.scores.get(version, {}).get(_key(query))
        if got is None:
            return None
        try:
            return np.array([got[str(i)] for i in ids.tolist()], dtype=np.float32)
        except KeyError:
            return None

    def fill(
        self, version: str, requests: Sequence[tuple[str, np.ndarray, Sequence[str]]], workers: int
    ) -> None:
        """Score every (query, candidate ids, texts) not cached yet: chunk embeddings in worker processes."""
        import nanoranker

        docs = self.docs(version)
        missing: dict[int, str] = {}
        for _, ids, texts in requests:
            for i, t in zip(ids.tolist(), texts, strict=True):
                if i not in docs:
                    missing[i] = t
        if missing:
            order = sorted(missing)
            batches = [order[n : n + 32] for n in range(0, len(order), 32)]
            started = time.perf_counter()
            texts = [[missing[i] for i in b] for b in batches]
            with contextlib.ExitStack() as stack:
                mapped: Iterator[np.ndarray] = map(_embed_texts, texts)
                if workers > 1 and len(batches) > 1:
                    pool = stack.enter_context(multiprocessing.get_context("spawn").Pool(workers))
                    mapped = pool.imap(_embed_texts, texts)
                for batch, emb in zip(batches, mapped, strict=True):
                    docs.update(zip(batch, emb, strict=True))
            print(f"embedded {len(order)} chunks in {time.perf_counter() - started:.0f} s", flush=True)
        table = self.scores.setdefault(version, {})
        queries: dict[str, np.ndarray] = {}
        for query, ids, _ in requests:
            have = table.setdefault(_key(query), {})
            todo = [i for i in ids.tolist() if str(i) not in have]
            if not todo:
                continue
            if query not in queries:
                queries[query] = nanoranker.embed(query)
            rows = np.concatenate(
                [np.tile(queries[query], (len(todo), 1)), np.stack([docs[i] for i in todo])], axis=1
            ).astype(np.float32)
            out = nanoranker.reranker_model.run(["output"], {"input": rows})[0].reshape(-1)
            have.update({str(i): float(p) for i, p in zip(todo, out, strict=True)})
        self.save()


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p.astype(np.float64), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


class NanoRanker:
    """Reranker: nanoranker's score of each candidate (cached; computed on a miss)."""

    name = "nanoranker"

    def __init__(self, scores: NanoScores, version: str) -> None:
        self.cache = scores
        self.version = version

    def score(self, candidates: CandidateSet) -> np.ndarray:
        """Raw nanoranker score per candidate."""
        got = self.cache.lookup(self.version, candidates.query, candidates.ids)
        if got is None:
            self.cache.fill(self.version, [(candidates.query, candidates.ids, candidates.texts)], workers=1)
            got = self.cache.lookup(self.version, candidates.query, candidates.ids)
        assert got is not None
        return got


def with_nano(candidates: CandidateSet, nano: NanoRanker) -> CandidateSet:
    """The candidates with nano_rel (log-odds minus the best candidate's) and nano_rrf (60/(60+rank))."""
    if len(candidates) == 0:
        extra = {name: np.zeros(0, dtype=np.float32) for name in NANO_FEATURES}
    else:
        logit = _logit(nano.score(candidates))
        rank = np.empty(len(logit), dtype=np.float64)
        rank[np.argsort(-logit, kind="stable")] = np.arange(1, len(logit) + 1)
        extra = {
            "nano_rel": (logit - logit.max()).astype(np.float32),
            "nano_rrf": (60.0 / (60.0 + rank)).astype(np.float32),
        }
    return replace(candidates, features={**candidates.features, **extra})


class _NanoIndex:
    """An index whose candidate sets carry the nanoranker features (what train.collect reads)."""

    def __init__(self, index: SearchIndex, nano: NanoRanker) -> None:
        self._index = index
        self._nano = nano

    def candidate_set(self, *args: Any, **kwargs: Any) -> CandidateSet:
        return with_nano(self._index.candidate_set(*args, **kwargs), self._nano)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._index, name)


class NanoFusion:
    """The learned fusion over the extended feature list."""

    name = "fusion+nanoranker"

    def __init__(self, weights: FusionWeights, nano: NanoRanker) -> None:
        self._fusion = LearnedFusion(weights)
        self._nano = nano

    def score(self, candidates: CandidateSet) -> np.ndarray:
        """Log-odds per candidate, the nanoranker features added first."""
        return self._fusion.score(with_nano(candidates, self._nano))


@contextlib.contextmanager
def _extended_features() -> Iterator[None]:
    """train.collect/fit and FusionWeights' check see FEATURES plus the nanoranker features."""
    with mock.patch.object(train, "FEATURES", EXTENDED), mock.patch.object(learned, "FEATURES", EXTENDED):
        yield


def _requests(
    pairs: Sequence[tuple[SearchIndex, Any, np.ndarray]],
) -> list[tuple[str, np.ndarray, list[str]]]:
    out = []
    for index, question, vector in pairs:
        for policy in POLICIES:
            plan = plan_for(index, question, policy)
            cands = index.candidate_set(
                plan.query, vector, plan.filter, items=plan.items, analysis=plan.analysis
            )
            out.append((cands.query, cands.ids, list(cands.texts)))
    return out


def diagnostics(pairs: Sequence[tuple[SearchIndex, Any, np.ndarray]], cache: NanoScores) -> dict[str, Any]:
    """Per policy: share of questions with evidence among the 50 candidates, the R@5 a random order of them
    would expect, and nanoranker's mean within-question AUC (evidence vs other candidates; 0.5 = chance)."""
    out = {}
    for policy in POLICIES:
        ceiling, random5, aucs = 0, 0.0, []
        for index, question, vector in pairs:
            plan = plan_for(index, question, policy)
            c = index.candidate_set(plan.query, vector, plan.filter, items=plan.items, analysis=plan.analysis)
            y = np.array(
                [question.relevant(t, m) for t, m in zip(c.texts, c.metadata, strict=True)], dtype=bool
            )
            n, r = len(y), int(y.sum())
            if r == 0:
                continue
            ceiling += 1
            random5 += 1 - math.comb(n - r, 5) / math.comb(n, 5) if n >= 5 else 1.0
            s = cache.lookup(index.version, c.query, c.ids)
            if s is not None and r < n:
                pos, neg = s[y][:, None], s[~y][None, :]
                aucs.append(float((pos > neg).mean() + 0.5 * (pos == neg).mean()))
        out[policy] = {
            "recall@50_ceiling": round(ceiling / len(pairs), 4),
            "random_order_recall@5": round(random5 / len(pairs), 4),
            "nanoranker_auc": round(float(np.mean(aucs)), 3),
        }
    return out


def _pct(values: Sequence[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(values) * 1000, q)), 1)


def latency(
    pairs: Sequence[tuple[SearchIndex, Any, np.ndarray]], cache: NanoScores, every: int
) -> dict[str, Any]:
    """ms of nanoranker.rank() on the inferred-filter candidates of every `every`-th question; cache check."""
    import nanoranker

    full, factored, diffs, chars = [], [], [], []
    for index, question, vector in pairs[::every]:
        plan = plan_for(index, question, INFERRED)
        cands = index.candidate_set(plan.query, vector, plan.filter, items=plan.items, analysis=plan.analysis)
        texts = list(cands.texts)
        started = time.perf_counter()
        ranked = nanoranker.rank(cands.query, texts, top_n=len(texts), normalize_scores=False)
        full.append(time.perf_counter() - started)
        by_text = dict(ranked)
        cached = cache.lookup(index.version, cands.query, cands.ids)
        if cached is not None:
            diffs.append(float(np.max(np.abs(cached - np.array([by_text[t] for t in texts])))))
        docs = cache.docs(index.version)
        if all(i in docs for i in cands.ids.tolist()):
            started = time.perf_counter()  # chunk embeddings precomputed at index time: query embed + MLP
            q = nanoranker.embed(cands.query)
            rows = np.concatenate(
                [np.tile(q, (len(texts), 1)), np.stack([docs[i] for i in cands.ids.tolist()])], 1
            )
            nanoranker.reranker_model.run(["output"], {"input": rows.astype(np.float32)})
            factored.append(time.perf_counter() - started)
        chars.extend(len(t) for t in texts)
    return {
        "questions": len(full),
        "candidates": 50,
        "rank_call_ms": {
            "p50": _pct(full, 50),
            "p95": _pct(full, 95),
            "mean": round(statistics.mean(full) * 1000, 1),
        },
        "precomputed_chunk_embeddings_ms": {"p50": _pct(factored, 50), "p95": _pct(factored, 95)}
        if factored
        else None,
        "max_abs_diff_cached_vs_rank": max(diffs) if diffs else None,
        "candidate_chars": {"median": int(statistics.median(chars)), "max": max(chars)},
    }


def run(args: argparse.Namespace) -> None:
    """Fill the cache, score every second stage per dataset and policy, measure rank(), write results."""
    started = time.perf_counter()
    cache = NanoScores(args.cache)
    data = _data()
    nano: dict[str, NanoRanker] = {}
    for name, pairs in data.items():
        index = pairs[0][0]
        nano[name] = NanoRanker(cache, index.version)
        t = time.perf_counter()
        cache.fill(index.version, _requests(pairs), workers=args.workers)
        print(f"{name}: nanoranker scores ready ({time.perf_counter() - t:.0f} s)", flush=True)
    fill_seconds = time.perf_counter() - started

    models = _fold_models(data)
    cross = {"A": LearnedFusion(models["B"]), "B": LearnedFusion(models["A"])}
    shipped = LearnedFusion(FusionWeights.read(_weights_path()))
    with _extended_features():
        nano_data = {name: [(_NanoIndex(i, nano[name]), q, v) for i, q, v in ps] for name, ps in data.items()}
        nano_models = _fold_models(nano_data)
    runs: dict[str, Any] = {}
    for dataset, pairs in data.items():
        if dataset == FQA10K:
            pairs = [p for p in pairs if p[1].ticker in FQA10K_SCORED]
        held_out = {p[1].qid for p in pairs if fold(p[1].ticker) == "B"}
        nano_cross = {
            "A": NanoFusion(nano_models["B"], nano[dataset]),
            "B": NanoFusion(nano_models["A"], nano[dataset]),
        }
        for policy in POLICIES:
            stages: dict[str, Any] = {
                "none": None,
                "shipped": shipped,
                "cross-fit": cross,
                "nanoranker": nano[dataset],
                "cross-fit+nanoranker": nano_cross,
            }
            for label, reranker in stages.items():
                result = recall(f"{dataset}/{policy}/{label}", pairs, policy, reranker)
                runs[result.label] = (result, held_out)
                print(result.label, result.figures(), "fold B:", result.figures(held_out), flush=True)
    lat, diag = {}, {}
    for dataset, pairs in data.items():
        if dataset == FQA10K:
            pairs = [p for p in pairs if p[1].ticker in FQA10K_SCORED]
        diag[dataset] = diagnostics(pairs, cache)
        print(dataset, "diagnostics", diag[dataset], flush=True)
        lat[dataset] = latency(pairs, cache, max(1, len(pairs) // args.latency_questions))
        print(dataset, "latency", lat[dataset], flush=True)
    write(args.out, runs, lat, diag, nano_models, fill_seconds, time.perf_counter() - started, data)


def write(
    out: Path,
    runs: dict[str, Any],
    lat: dict[str, Any],
    diag: dict[str, Any],
    nano_models: dict[str, FusionWeights],
    fill_seconds: float,
    seconds: float,
    data: dict[str, Any],
) -> None:
    """results/nanoranker_<date>.{json,md}."""
    from importlib.metadata import version

    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%d", time.gmtime())
    body = {
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "nanoranker": version("nanoranker"),
        "onnxruntime": version("onnxruntime"),
        "indexes": {name: ps[0][0].version for name, ps in data.items()},
        "seconds": round(seconds, 1),
        "cache_fill_seconds": round(fill_seconds, 1),
        "latency": lat,
        "diagnostics": diag,
        "nano_fold_models": {
            name: dict(zip(w.features, w.coef, strict=True)) | {"trained_on": w.trained_on}
            for name, w in nano_models.items()
        },
        "runs": {
            label: {"all": r.figures(), "fold_B": r.figures(held), "ranks": r.ranks}
            for label, (r, held) in runs.items()
        },
    }
    (out / f"nanoranker_{stamp}.json").write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")
    lines = recall_table(runs, timing=False)
    lines += [
        "",
        "| nanoranker.rank() on 50 candidates, inferred filter | questions | p50 ms | p95 ms |",
        "|---|---:|---:|---:|",
    ]
    for name, x in lat.items():
        lines.append(
            f"| {name} | {x['questions']} | {x['rank_call_ms']['p50']} | {x['rank_call_ms']['p95']} |"
        )
        if x["precomputed_chunk_embeddings_ms"]:
            p = x["precomputed_chunk_embeddings_ms"]
            lines.append(
                f"| {name}, chunk embeddings precomputed (query embed + MLP) | {x['questions']} "
                f"| {p['p50']} | {p['p95']} |"
            )
    lines += [
        "",
        "| dataset / filter | evidence in the 50 candidates | R@5 of a random order of them "
        "| nanoranker AUC within candidates |",
        "|---|---:|---:|---:|",
    ]
    for name, per in diag.items():
        for policy, x in per.items():
            lines.append(
                f"| {name}/{policy} | {x['recall@50_ceiling']:.3f} | {x['random_order_recall@5']:.3f} "
                f"| {x['nanoranker_auc']:.3f} |"
            )
    (out / f"nanoranker_{stamp}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


def main() -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.rerank.nanoranker_eval", description=__doc__)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/nanoranker_cache"))
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--latency-questions", type=int, default=40)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    np.seterr(all="ignore")
    run(args)


if __name__ == "__main__":
    main()
