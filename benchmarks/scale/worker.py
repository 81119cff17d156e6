"""One measurement per process, so RSS and build time belong to one index type alone.

python -m benchmarks.scale.worker build-dense WORK TYPE     # FAISS index from WORK/vectors.npy
python -m benchmarks.scale.worker build-bm25 WORK           # BM25 over the replicated chunk texts
python -m benchmarks.scale.worker serve WORK TYPE           # load + 1-thread searches, as the gateway would
"""

import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

PERCENTILES = (50, 95)
HYBRID_K = 5
DENSE_K = 10
FUSION_DEPTH = 50


def cpu_s() -> float:
    """User + system CPU seconds of this process so far."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def memory() -> dict[str, float]:
    """VmRSS, RssAnon, RssFile and VmHWM of this process in MiB."""
    out: dict[str, float] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
            out[key] = round(int(value.split()[0]) / 1024, 1)
    return out


def stats_ms(samples: list[float]) -> dict[str, float]:
    """p50/p95 (and mean) of seconds, in milliseconds."""
    arr = np.asarray(samples) * 1000
    return {
        **{f"p{p}": round(float(np.percentile(arr, p)), 3) for p in PERCENTILES},
        "mean": round(float(arr.mean()), 3),
    }


def build_dense(work: Path, index_type: str) -> dict[str, object]:
    """Build one FAISS index type from the memory-mapped vectors and write it."""
    import faiss
    from retriever.index.vectors import FAISS_FILE, build_faiss

    vectors = np.load(work / "vectors.npy", mmap_mode="r")
    folder = work / index_type
    folder.mkdir(exist_ok=True)
    c, t = cpu_s(), time.perf_counter()
    index = build_faiss(vectors, index_type)
    faiss.write_index(index, str(folder / FAISS_FILE))
    return {
        "build_s": round(time.perf_counter() - t, 1),
        "build_cpu_s": round(cpu_s() - c, 1),
        "peak_rss_mib": memory()["VmHWM"],
        "index_bytes": (folder / FAISS_FILE).stat().st_size,
        "faiss": type(index).__name__,
    }


def build_bm25(work: Path) -> dict[str, object]:
    """BM25 (bm25s, the retriever's tokenizer settings) over every synthetic row's text."""
    import bm25s
    from retriever.index.lexical import LexicalIndex, _stemmer

    meta = json.loads((work / "meta.json").read_text())
    texts = json.loads((work / "base_lexical_texts.json").read_text())
    n, base = meta["chunks"], len(texts)
    c, t = cpu_s(), time.perf_counter()
    tokens = bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), show_progress=False)
    # Replicas share the base row's token list: tokenising 3M copies of the same text would only burn CPU.
    ids = [tokens.ids[i % base] for i in range(n)]
    model = bm25s.BM25()
    model.index((ids, tokens.vocab), show_progress=False)
    del ids
    folder = work / "bm25"
    folder.mkdir(exist_ok=True)
    LexicalIndex(model).save(folder)
    nnz = int(model.scores["data"].shape[0])
    return {
        "build_s": round(time.perf_counter() - t, 1),
        "build_cpu_s": round(cpu_s() - c, 1),
        "peak_rss_mib": memory()["VmHWM"],
        "postings": nnz,
        "postings_per_chunk": round(nnz / n, 1),
    }


def serve(work: Path, index_type: str, head: int | None = None) -> dict[str, object]:
    """Load what the gateway loads and time single-thread searches: dense, BM25 and hybrid, 3 filters."""
    import faiss
    from retriever.filters import evaluate, parse_filter
    from retriever.index.compute_threads import limit_search_threads
    from retriever.index.fusion import reciprocal_rank_fusion
    from retriever.index.lexical import LexicalIndex
    from retriever.index.search_index import RERANK_DEPTH
    from retriever.index.store import CHUNKS_FILE, ChunkStore
    from retriever.index.vectors import FAISS_FILE, VECTORS_FILE, dense_search, top_k

    limit_search_threads(1)
    meta = json.loads((work / "meta.json").read_text())
    n = meta["chunks"]
    queries = np.load(work / "queries.npy")
    questions = json.loads((work / "questions.json").read_text())
    filters = json.loads((work / "filters.json").read_text())
    truth = np.load(work / "truth.npz")
    mem: dict[str, dict[str, float]] = {"start": memory()}

    t = time.perf_counter()
    index = faiss.read_index(str(work / index_type / FAISS_FILE))
    exact = isinstance(index, faiss.IndexFlat)
    vectors = np.load(work / VECTORS_FILE, mmap_mode=None if exact else "r")
    load_dense_s = time.perf_counter() - t
    mem["dense"] = memory()
    t = time.perf_counter()
    lexical = LexicalIndex.load(work / "bm25", **({"head": head} if head else {}))
    load_bm25_s = time.perf_counter() - t
    mem["bm25"] = memory()
    t = time.perf_counter()
    store = ChunkStore.load(work / CHUNKS_FILE)  # metadata and filter columns in memory, texts on disk
    columns = store.columns
    load_store_s = time.perf_counter() - t
    mem["store"] = memory()

    modes = ("unfiltered", "selective", "broad")
    timing: dict[str, dict[str, list[float]]] = {
        m: {"filter": [], "dense": [], "bm25": [], "hybrid": []} for m in modes
    }
    recall: dict[str, list[float]] = {m: [] for m in modes}
    bm25_agreement: dict[str, list[float]] = {m: [] for m in modes}
    matches: dict[str, list[int]] = {m: [] for m in modes}
    shortfalls = 0
    for i, (q, question) in enumerate(zip(queries, questions, strict=True)):
        for mode in modes:
            spec = None if mode == "unfiltered" else filters[i][mode]
            started = time.perf_counter()
            mask = evaluate(parse_filter(spec), columns) if spec is not None else None
            filtered = time.perf_counter()
            ids, _ = dense_search(index, vectors, q, DENSE_K, mask)
            dense_done = time.perf_counter()
            terms = lexical.terms(question)
            bm25_ids, _ = lexical.top(terms, FUSION_DEPTH, mask)
            bm25_done = time.perf_counter()
            # The hybrid search as SearchIndex.search runs it: filter, BM25, dense at fusion depth, RRF,
            # exact scores, the second stage's reads of its candidates (texts, titles, metadata; not its
            # features, which cost the same at any size) and the k hits' texts from the chunk store.
            h0 = time.perf_counter()
            hmask = evaluate(parse_filter(spec), columns) if spec is not None else None
            hterms = lexical.terms(question)
            hl = lexical.top(hterms, FUSION_DEPTH, hmask)[0]
            hd, _ = dense_search(index, vectors, q, FUSION_DEPTH, hmask)
            candidates = np.asarray(reciprocal_rank_fusion([hd, hl])[:RERANK_DEPTH], dtype=np.int64)
            _ = vectors[np.sort(candidates)] @ q if len(candidates) else None
            _ = lexical.scores_at(hterms, candidates)  # the candidates' BM25 scores (second-stage input)
            rows = candidates.tolist()
            _ = store.texts_at(rows), store.titles_at(rows), [store.metadata[r] for r in rows]
            texts = store.texts_at(rows[:HYBRID_K])
            h1 = time.perf_counter()
            timing[mode]["filter"].append(filtered - started)
            timing[mode]["dense"].append(dense_done - filtered)
            timing[mode]["bm25"].append(bm25_done - dense_done)
            timing[mode]["hybrid"].append(h1 - h0)
            gt = truth[mode][i]
            gt = gt[gt >= 0]
            matched = n if mask is None else int(mask.sum())
            matches[mode].append(matched)
            if len(ids) < min(DENSE_K, matched) or len(texts) < min(HYBRID_K, matched):
                shortfalls += 1
            recall[mode].append(len(set(ids.tolist()) & set(gt.tolist())) / max(len(gt), 1))
            # BM25's top against exact BM25 (every posting read), untimed: the exact score mass of the 50 hits
            # over that of the exact top 50 (1 = as good as exact). Replicas share their base chunk's text,
            # so exact scores tie in blocks and an overlap of ids would mostly measure which tied copy won.
            full = lexical.scores(question)
            rows = np.flatnonzero(full > 0) if mask is None else np.flatnonzero(mask & (full > 0))
            if len(rows):
                best = top_k(full[rows], rows, FUSION_DEPTH)[1].sum()
                bm25_agreement[mode].append(float(full[bm25_ids].sum() / best))
    mem["end"] = memory()
    base_rss = mem["start"]["VmRSS"]
    return {
        "load_s": {
            "dense": round(load_dense_s, 2),
            "bm25": round(load_bm25_s, 2),
            "store": round(load_store_s, 2),
            "total": round(load_dense_s + load_bm25_s + load_store_s, 2),
        },
        "memory_mib": mem,
        "bytes_per_chunk": {
            "dense": round((mem["dense"]["VmRSS"] - base_rss) * 2**20 / n, 1),
            "bm25": round((mem["bm25"]["VmRSS"] - mem["dense"]["VmRSS"]) * 2**20 / n, 1),
            "store": round((mem["store"]["VmRSS"] - mem["bm25"]["VmRSS"]) * 2**20 / n, 1),
            "all_in_after_queries": round((mem["end"]["VmRSS"] - base_rss) * 2**20 / n, 1),
            "all_in_anon_after_queries": round(
                (mem["end"]["RssAnon"] - mem["start"]["RssAnon"]) * 2**20 / n, 1
            ),
        },
        "search_ms": {m: {part: stats_ms(v) for part, v in timing[m].items()} for m in modes},
        "recall_at_10": {m: round(float(np.mean(v)), 4) for m, v in recall.items()},
        "bm25_top50_score_ratio": {m: round(float(np.mean(v)), 4) for m, v in bm25_agreement.items() if v},
        "bm25_head": lexical.head,
        "matching_rows_mean": {m: round(float(np.mean(v)), 1) for m, v in matches.items()},
        "shortfalls": shortfalls,
        "queries": len(queries),
    }


def main(argv: list[str]) -> None:
    """Dispatch one measurement and print its JSON on stdout."""
    action, work = argv[0], Path(argv[1])
    if action == "build-dense":
        result = build_dense(work, argv[2])
    elif action == "build-bm25":
        result = build_bm25(work)
    elif action == "serve":
        result = serve(work, argv[2], int(argv[3]) if len(argv) > 3 else None)
    else:
        raise SystemExit(f"unknown action {action!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
