"""SearchIndex: load a version, check it against the embedder, run filtered dense or hybrid search."""

import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError
from retriever.embedder import Embedder
from retriever.filters import Filter, evaluate, parse_filter
from retriever.hits import Hit
from retriever.index.fusion import fuse
from retriever.index.layout import CURRENT, resolve_version_dir
from retriever.index.lexical import LexicalIndex
from retriever.index.manifest import MANIFEST_FILE, IndexManifest
from retriever.index.metadata_table import NO_PAGE, MetadataTable
from retriever.index.statement_ranking import statement_ranking
from retriever.index.store import CHUNKS_FILE, ChunkStore
from retriever.index.vectors import dense_search, load_vectors, top_k
from retriever.ingest import embedded_text
from retriever.query_analysis import QueryAnalysis, QueryScope, filter_for
from retriever.rerank.base import CandidateSet, Reranker, RerankError
from retriever.rerank.features import StageOutputs, candidate_features, latest_filing
from retriever.rerank.learned import LearnedFusion
from retriever.rerank.registry import default_reranker
from retriever.search_plan import SearchPlan, plan_search
from retriever.statements import question_statements

logger = logging.getLogger(__name__)

# Each retriever contributes this many candidates (at least) to the fusion.
FUSION_DEPTH = 50
# The second stage reorders this many of the fused candidates (the evidence is in the top 20 for most misses).
RERANK_DEPTH = 50
# At most this many hits from one page rank ahead of the rest of the ranking (`_page_capped`).
PAGE_CAP = 2
# Vector-space check when either side embeds over http (check_vector_space): this many stored chunks are
# re-embedded and each must come back at least this close to its stored vector. Measured on MiniLM filing
# chunks: vLLM float32 vs sentence-transformers 1.0000; int8 ONNX vs either float32 0.988 min, 0.993
# median; the same weights with CLS instead of mean pooling 0.22-0.40.
VECTOR_CHECK_SAMPLE = 8
VECTOR_CHECK_MIN_COSINE = 0.95


@dataclass(frozen=True)
class FirstStage:
    """The fused candidates of one query: ids best first, cosine and BM25 scores, RRF score and its parts."""

    ids: np.ndarray
    dense: np.ndarray
    bm25: np.ndarray | None
    fused: np.ndarray
    shares: dict[str, np.ndarray]


class IndexLoadError(RuntimeError):
    """The index is missing, corrupt, or was built with a different embedding model."""


class SearchIndex:
    """A loaded, immutable index version; safe for concurrent readers."""

    name = "sec-10k"

    def __init__(
        self,
        folder: Path,
        manifest: IndexManifest,
        embedder: Embedder,
        store: ChunkStore,
        faiss_index: Any,
        vectors: np.ndarray,
        lexical: LexicalIndex | None,
    ) -> None:
        self.folder = folder
        self.manifest = manifest
        self.embedder = embedder
        self.store = store
        self._faiss = faiss_index
        self.vectors = vectors
        self.lexical = lexical

    @property
    def version(self) -> str:
        """Content hash of this build."""
        return self.manifest.version

    @property
    def created_at(self) -> str:
        """ISO creation time of this build."""
        return self.manifest.created_at

    def __len__(self) -> int:
        return len(self.store)

    @cached_property
    def scope(self) -> QueryScope:
        """Issuers, fiscal years and forms this version holds, to infer a question's filter."""
        return QueryScope.for_metadata(self.store.metadata.representatives())

    def infer_filter(self, query: str) -> Filter | None:
        """The filter a question implies (the companies it names, and their fiscal year and form if held)."""
        inferred = self.scope.filter_for(query)
        return parse_filter(inferred) if inferred is not None else None

    @staticmethod
    def current_version(index_dir: Path) -> str | None:
        """Version the index root currently points at (reads only the pointer or manifest)."""
        current = index_dir / CURRENT
        if current.is_symlink():
            return Path(current.readlink()).name
        manifest = index_dir / MANIFEST_FILE
        if manifest.is_file():
            try:
                return str(json.loads(manifest.read_text())["version"])
            except (ValueError, KeyError):
                return None
        return None

    @classmethod
    def load(cls, index_dir: Path, embedder: Embedder, *, hybrid: bool | None = None) -> "SearchIndex":
        """Load the current version of an index root (or a version folder) and verify the embedder."""
        folder = resolve_version_dir(Path(index_dir))
        if folder is None:
            raise IndexLoadError(f"no index found at {index_dir} (run `rag-index build`)")
        try:
            manifest = IndexManifest.model_validate_json((folder / MANIFEST_FILE).read_text())
        except (OSError, ValidationError, ValueError) as exc:
            raise IndexLoadError(f"corrupt index manifest in {folder}: {_first_line(exc)}") from exc
        check_embedder(manifest, embedder, folder)
        try:
            store = ChunkStore.load(folder / CHUNKS_FILE)
            faiss_index, vectors = load_vectors(folder)
            use_lexical = manifest.hybrid if hybrid is None else hybrid
            lexical = LexicalIndex.load(folder) if use_lexical else None
        except Exception as exc:  # sqlite, faiss and numpy each raise their own corruption errors
            raise IndexLoadError(
                f"corrupt index in {folder}: {type(exc).__name__}: {_first_line(exc)}"
            ) from exc
        if not (len(store) == faiss_index.ntotal == len(vectors) == manifest.chunk_count):
            raise IndexLoadError(
                f"corrupt index in {folder}: {len(store)} chunks, {faiss_index.ntotal} vectors, "
                f"manifest says {manifest.chunk_count}"
            )
        check_vector_space(manifest, embedder, store, vectors, folder)
        index = cls(folder, manifest, embedder, store, faiss_index, vectors, lexical)
        # The second stage's per-chunk columns take seconds at millions of chunks: paid here, not by a query.
        _ = index._columns
        logger.info("loaded index %s (%d chunks) from %s", manifest.version, len(store), folder)
        return index

    @cached_property
    def default_reranker(self) -> Reranker | None:
        """The learned fusion shipped with the retriever (None if its weights do not fit this build)."""
        return default_reranker()

    @cached_property
    def _columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per-chunk columns the second stage reads: numeric density, latest filing, tokens, Item codes."""
        metadata = self.store.metadata
        items, sections = metadata.level("item")
        return (
            self.store.numeric_density,
            metadata.per_filing(latest_filing(metadata.representatives())),
            self.store.tokens.astype(np.float32),
            np.array([(item or "").upper() for item in items], dtype=str)[sections],
        )

    def plan(self, turns: Sequence[str], filters: Filter | None = None, *, infer: bool = True) -> SearchPlan:
        """Query text, filter and Items for the last of `turns` (a conversation's user messages)."""
        return plan_search(self.scope, turns, filters, infer=infer)

    def search(
        self,
        query: str,
        k: int = 5,
        filters: Filter | Mapping[str, Any] | None = None,
        score_threshold: float | None = None,
        query_vector: np.ndarray | None = None,
        *,
        items: Sequence[str] = (),
        analysis: QueryAnalysis | None = None,
        rerank: bool | Reranker = True,
        explain: bool = False,
    ) -> list[Hit]:
        """Best k chunks for query, restricted to chunks matching filters; score is cosine similarity.

        Stage one fuses dense, BM25, statement-page and named-Item rankings (RRF); stage two reorders the
        best RERANK_DEPTH of them with `rerank` (True: the index default, False: none, or a Reranker). Chunks
        of the Items the question names (`items`) then come first.
        """
        started = time.perf_counter()
        filt = parse_filter(filters)
        mask = evaluate(filt, self.store.columns) if filt is not None else None
        qvec = query_vector if query_vector is not None else self.embedder.embed_queries([query])[0]
        qvec = np.asarray(qvec, dtype=np.float32).reshape(-1)
        reranker = self.default_reranker if rerank is True else (rerank or None)
        if self.lexical is None and rerank is True:
            # The packaged fusion was fitted on hybrid candidates (BM25 ranks are features); a dense-only
            # index keeps its plain cosine order unless a reranker is passed explicitly.
            reranker = None
        wanted_items = tuple(i.upper() for i in items)
        if self.lexical is None and not wanted_items and reranker is None:
            dense_ids, _ = dense_search(self._faiss, self.vectors, qvec, k, mask)
            return self._hits(dense_ids[:k], qvec, score_threshold, None)
        scope, analysis = self._soft_scope(query, mask, analysis)
        stage = self._first_stage(
            query, qvec, mask, max(FUSION_DEPTH, 4 * k), wanted_items, max(RERANK_DEPTH, k), scope
        )
        ids, dense, bm25, fused, shares = stage.ids, stage.dense, stage.bm25, stage.fused, stage.shares
        order = np.arange(len(ids))
        rerank_scores: np.ndarray | None = None
        candidates: CandidateSet | None = None
        if reranker is not None and len(ids) > 1:
            candidates = self._candidates(query, ids, dense, bm25, fused, shares, analysis)
            try:
                rerank_scores = np.asarray(reranker.score(candidates), dtype=np.float32)
                order = np.argsort(-rerank_scores, kind="stable")
            except RerankError as exc:
                logger.warning("reranker %s failed, keeping the fused order: %s", reranker.name, exc)
        order = _page_capped(order, ids, self.store.metadata)
        if wanted_items:
            in_items = np.isin(self._columns[3][ids[order]], wanted_items)
            order = order[np.argsort(~in_items, kind="stable")]
        top = order[:k]
        explanations = None
        if explain:
            explanations = _explain(
                top,
                ids,
                dense,
                bm25,
                fused,
                shares,
                rerank_scores,
                reranker,
                candidates,
                self._columns[3],
                wanted_items,
            )
        hits = self._hits(ids[top], qvec, score_threshold, explanations)
        logger.debug(
            "search k=%d filtered=%s -> %d hits in %.1f ms",
            k,
            filt is not None,
            len(hits),
            (time.perf_counter() - started) * 1000,
        )
        return hits

    def _hits(
        self,
        ids: np.ndarray,
        qvec: np.ndarray,
        score_threshold: float | None,
        explanations: list[dict[str, object]] | None,
    ) -> list[Hit]:
        scores = self.vectors[ids] @ qvec if len(ids) else np.zeros(0, dtype=np.float32)
        kept = [
            (n, i, s)
            for n, (i, s) in enumerate(zip(ids.tolist(), scores.tolist(), strict=True))
            if score_threshold is None or s >= score_threshold
        ]
        texts = self.store.texts_at([i for _, i, _ in kept])
        return [
            Hit(
                id=i,
                score=float(s),
                text=text,
                metadata=self.store.metadata[i],
                tokens=self.store.token_count(i),
                explanation=explanations[n] if explanations is not None else None,
            )
            for (n, i, s), text in zip(kept, texts, strict=True)
        ]

    def candidate_set(
        self,
        query: str,
        query_vector: np.ndarray,
        filters: Filter | Mapping[str, Any] | None = None,
        *,
        items: Sequence[str] = (),
        analysis: QueryAnalysis | None = None,
    ) -> CandidateSet:
        """The first stage's RERANK_DEPTH candidates and their features (what a reranker sees; training)."""
        filt = parse_filter(filters)
        mask = evaluate(filt, self.store.columns) if filt is not None else None
        qvec = np.asarray(query_vector, dtype=np.float32).reshape(-1)
        wanted_items = tuple(i.upper() for i in items)
        scope, analysis = self._soft_scope(query, mask, analysis)
        stage = self._first_stage(query, qvec, mask, FUSION_DEPTH, wanted_items, RERANK_DEPTH, scope)
        return self._candidates(
            query, stage.ids, stage.dense, stage.bm25, stage.fused, stage.shares, analysis
        )

    def _first_stage(
        self,
        query: str,
        qvec: np.ndarray,
        mask: np.ndarray | None,
        depth: int,
        items: tuple[str, ...],
        keep: int,
        scope: np.ndarray | None = None,
    ) -> "FirstStage":
        """Dense, BM25, statement-page and named-Item rankings fused by RRF; the best `keep` candidates.

        With a `scope` (rows of the filings the question names, when nothing filters the search), the dense,
        BM25 and statement rankings are also made inside it and fused beside the others (`_soft_scope`).
        """
        terms = self.lexical.terms(query) if self.lexical is not None and query.strip() else None
        rankings = self._rankings(query, qvec, mask, depth, terms)
        if items:
            item_ids = self._item_ranking(items, qvec, mask, depth)
            if item_ids is not None:
                rankings["item"] = item_ids
        if scope is not None:
            scoped = self._rankings(query, qvec, scope, depth, terms)
            rankings.update((f"scope_{name}", ids) for name, ids in scoped.items())
        ids, fused, shares = fuse(rankings)
        ids, fused = ids[:keep], fused[:keep]
        dense = self.vectors[ids] @ qvec if len(ids) else np.zeros(0, dtype=np.float32)
        return FirstStage(
            ids,
            dense,
            self.lexical.scores_at(terms, ids) if self.lexical is not None and terms is not None else None,
            fused,
            {name: share[: len(ids)] for name, share in shares.items()},
        )

    def _rankings(
        self, query: str, qvec: np.ndarray, mask: np.ndarray | None, depth: int, terms: np.ndarray | None
    ) -> dict[str, np.ndarray]:
        """The dense ranking, and with BM25 terms the BM25 and statement-page rankings, within mask."""
        rankings = {"dense": dense_search(self._faiss, self.vectors, qvec, depth, mask)[0]}
        if terms is not None:
            rankings["bm25"] = self.lexical.top(terms, depth, mask)[0]  # type: ignore[union-attr]
            # Only next to BM25: fused with dense alone, one extra list would outweigh it (fqa10k dense R@5
            # 0.778 -> 0.752 with the ticker filter), while hybrid keeps its recall there.
            statement_ids = statement_ranking(self.store.statements, self.vectors, query, qvec, mask, depth)
            if statement_ids is not None:
                rankings["statement"] = statement_ids
        return rankings

    def _soft_scope(
        self, query: str, mask: np.ndarray | None, analysis: QueryAnalysis | None
    ) -> tuple[np.ndarray | None, QueryAnalysis | None]:
        """Rows of the filings the question names when no filter restricts the search (and the analysis).

        A client that sent no filter, or a deployment with inference off, still means the companies and year
        its question names; ranked as extra lists beside the unfiltered ones, they bring those filings'
        chunks among the candidates without excluding the rest (a soft scope, where the inferred filter is a
        hard one). FinanceBench with no filter: R@5 0.589 -> 0.628, first stage alone 0.457 -> 0.605;
        financial_qa_10k unchanged (0.802).
        """
        if mask is not None:
            return None, analysis
        analysis = analysis if analysis is not None else self.scope.analyzer.analyze(query)
        raw = filter_for(analysis, self.scope.catalog)
        return (evaluate(parse_filter(raw), self.store.columns) if raw is not None else None), analysis

    def _candidates(
        self,
        query: str,
        ids: np.ndarray,
        dense: np.ndarray,
        bm25: np.ndarray | None,
        fused: np.ndarray,
        shares: Mapping[str, np.ndarray],
        analysis: QueryAnalysis | None,
    ) -> CandidateSet:
        numeric, latest, tokens, _ = self._columns
        analysis = analysis if analysis is not None else self.scope.analyzer.analyze(query)
        rows = ids.tolist()
        metadata = [self.store.metadata[i] for i in rows]
        texts = self.store.texts_at(rows)
        features = candidate_features(
            analysis,
            query,
            metadata,
            texts,
            self.store.titles_at(rows),
            self.store.statements[ids],
            frozenset(int(s) for s in question_statements(query)),
            numeric[ids],
            latest[ids],
            tokens[ids],
            StageOutputs(
                dense=dense,
                bm25=bm25 if bm25 is not None else np.zeros(len(ids), dtype=np.float32),
                rrf=fused,
                rrf_by_list=shares,
            ),
        )
        return CandidateSet(query, ids, texts, metadata, features)

    def _item_ranking(
        self, items: tuple[str, ...], qvec: np.ndarray, mask: np.ndarray | None, depth: int
    ) -> np.ndarray | None:
        """Chunks of the named Items (within the mask), best dense match first."""
        selected = np.isin(self._columns[3], items)
        if mask is not None:
            selected &= mask
        rows = np.flatnonzero(selected)
        if len(rows) == 0:
            return None
        sims = (self.vectors[rows] @ qvec).astype(np.float32)
        return top_k(sims, rows.astype(np.int64), depth)[0]


def _explain(
    top: np.ndarray,
    ids: np.ndarray,
    dense: np.ndarray,
    bm25: np.ndarray | None,
    fused: np.ndarray,
    shares: Mapping[str, np.ndarray],
    rerank_scores: np.ndarray | None,
    reranker: Reranker | None,
    candidates: CandidateSet | None,
    items_column: np.ndarray,
    wanted_items: tuple[str, ...],
) -> list[dict[str, object]]:
    """Per hit: its first-stage rank and scores, the reranker's score and what drove it."""
    contributions = None
    if isinstance(reranker, LearnedFusion) and candidates is not None and rerank_scores is not None:
        contributions = reranker.contributions(candidates)
    out: list[dict[str, object]] = []
    for position in top.tolist():
        row = int(ids[position])
        entry: dict[str, object] = {
            "first_stage_rank": position + 1,
            "rrf": round(float(fused[position]), 5),
            "rrf_by_ranking": {n: round(float(s[position]), 5) for n, s in shares.items() if s[position] > 0},
            "dense": round(float(dense[position]), 4),
        }
        if bm25 is not None:
            entry["bm25"] = round(float(bm25[position]), 3)
        if rerank_scores is not None and reranker is not None:
            entry["reranker"] = reranker.name
            entry["rerank_score"] = round(float(rerank_scores[position]), 4)
        if contributions is not None:
            parts = dict(zip(reranker.weights.features, contributions[position].tolist(), strict=True))
            entry["top_features"] = {
                name: round(value, 3) for name, value in sorted(parts.items(), key=lambda kv: -abs(kv[1]))[:5]
            }
        if wanted_items:
            entry["named_item_first"] = bool(items_column[row] in wanted_items)
        out.append(entry)
    return out


def check_embedder(manifest: IndexManifest, embedder: Embedder, folder: Path) -> None:
    """Raise IndexLoadError (one line) unless the index was built with this embedder's model and prefix.

    Backends do not have to match (torch, onnx and http of one model share a vector space); when one side is
    http, check_vector_space also proves it once the vectors are loaded.
    """
    info = manifest.embedding
    problems = []
    if info.fingerprint != embedder.fingerprint:
        problems.append(
            f"model {info.model!r} (fingerprint {info.fingerprint}) vs configured "
            f"{embedder.model_id!r} (fingerprint {embedder.fingerprint})"
        )
    if info.dimension != embedder.dimension:
        problems.append(f"dimension {info.dimension} vs {embedder.dimension}")
    if info.query_prefix != embedder.query_prefix:
        problems.append(f"query prefix {info.query_prefix!r} vs {embedder.query_prefix!r}")
    if problems:
        raise IndexLoadError(
            f"index {manifest.version} in {folder} does not match the embedder: {'; '.join(problems)}; "
            "rebuild the index or configure the model it was built with"
        )


def _page_capped(order: np.ndarray, ids: np.ndarray, metadata: MetadataTable) -> np.ndarray:
    """The ranked order with at most PAGE_CAP chunks of one page ahead of the rest, which follow in order.

    A statement page is cut into several chunks that rank together, so five hits could be one page while the
    evidence sits on the next one, at rank 6-10. FinanceBench R@5 0.713 -> 0.721 and R@10 0.767 -> 0.822 with
    the inferred filter, 0.628 -> 0.651 without one; financial_qa_10k unchanged (0.786). A cap of one chunk
    gave FinanceBench 0.736 but cost financial_qa_10k 2.2 points: its evidence is a chunk, often the second
    of its page. Chunks without a page are left alone; the named Items still come first after this.
    """
    if len(order) <= 1:
        return order
    rows = ids[order]
    seen: dict[tuple[int, int], int] = {}
    first, rest = [], []
    for at, key in enumerate(zip(metadata.filing[rows].tolist(), metadata.page[rows].tolist(), strict=True)):
        count = seen.get(key, 0)  # key: (filing code, page)
        (rest if key[1] != NO_PAGE and count >= PAGE_CAP else first).append(at)
        seen[key] = count + 1
    return order[np.array(first + rest, dtype=np.int64)]


def check_vector_space(
    manifest: IndexManifest, embedder: Embedder, store: ChunkStore, vectors: np.ndarray, folder: Path
) -> None:
    """Raise IndexLoadError unless the embedder reproduces the index's vectors, when either side used http.

    The fingerprint names the local model folder. With an in-process backend that folder computed the vectors,
    so equal fingerprints mean the same weights. Over http the vectors come from whatever the server runs
    (other weights, pooling or normalisation under the same name), so a few stored chunks, evenly spread, are
    embedded again with this embedder and each must be within VECTOR_CHECK_MIN_COSINE of its stored vector.
    What was embedded is the chunk under its context header and page title, not the stored text alone:
    comparing against the bare text gave cosine 0.667 on a PDF index with the very same model (real vLLM).
    """
    size = len(store)
    if "http" not in (manifest.embedding.backend, embedder.backend) or size == 0:
        return
    rows = np.unique(np.linspace(0, size - 1, min(VECTOR_CHECK_SAMPLE, size)).round().astype(int)).tolist()
    texts = [
        embedded_text(store.metadata[r], title, text)
        for r, title, text in zip(rows, store.titles_at(rows), store.texts_at(rows), strict=True)
    ]
    try:
        fresh = embedder.embed_documents(texts)
    except Exception as exc:  # the http encoder's one-line EmbeddingServerError, or a local backend's error
        raise IndexLoadError(
            f"cannot check index {manifest.version} in {folder} against the {embedder.backend} embedder: "
            f"{_first_line(exc)}"
        ) from exc
    stored = np.asarray(vectors[rows], dtype=np.float32)
    cosines = np.sum(fresh * stored, axis=1) / np.clip(
        np.linalg.norm(fresh, axis=1) * np.linalg.norm(stored, axis=1), 1e-12, None
    )
    worst = float(cosines.min())
    if worst < VECTOR_CHECK_MIN_COSINE:
        raise IndexLoadError(
            f"index {manifest.version} in {folder} was embedded by the {manifest.embedding.backend} backend "
            f"and the configured {embedder.backend} embedder does not reproduce its vectors (cosine "
            f"{worst:.3f} < {VECTOR_CHECK_MIN_COSINE} on stored chunk {rows[int(cosines.argmin())]}): "
            "the embeddings server is not serving the index's model with its pooling and normalisation"
        )
    logger.info(
        "vector space of index %s checked against the %s embedder: cosine >= %.4f on %d chunks",
        manifest.version,
        embedder.backend,
        worst,
        len(rows),
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
