"""SearchIndex: load a version, check it against the embedder, run filtered dense or hybrid search."""

import json
import logging
import time
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError
from retriever.embedder import Embedder
from retriever.filters import Filter, evaluate, parse_filter
from retriever.hits import Hit
from retriever.index.fusion import reciprocal_rank_fusion
from retriever.index.layout import CURRENT, resolve_version_dir
from retriever.index.lexical import LexicalIndex
from retriever.index.manifest import MANIFEST_FILE, IndexManifest
from retriever.index.statement_ranking import statement_ranking
from retriever.index.store import CHUNKS_FILE, ChunkStore
from retriever.index.vectors import dense_search, load_vectors, top_k
from retriever.query_analysis import QueryScope

logger = logging.getLogger(__name__)

# Each retriever contributes this many candidates (at least) to the fusion.
FUSION_DEPTH = 50


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
        return QueryScope.for_metadata(self.store.metadata)

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
        logger.info("loaded index %s (%d chunks) from %s", manifest.version, len(store), folder)
        return cls(folder, manifest, embedder, store, faiss_index, vectors, lexical)

    def search(
        self,
        query: str,
        k: int = 5,
        filters: Filter | Mapping[str, Any] | None = None,
        score_threshold: float | None = None,
        query_vector: np.ndarray | None = None,
    ) -> list[Hit]:
        """Best k chunks for query, restricted to chunks matching filters; score is cosine similarity."""
        started = time.perf_counter()
        filt = parse_filter(filters)
        mask = evaluate(filt, self.store.columns) if filt is not None else None
        qvec = query_vector if query_vector is not None else self.embedder.embed_queries([query])[0]
        qvec = np.asarray(qvec, dtype=np.float32).reshape(-1)
        depth = max(FUSION_DEPTH, 4 * k)
        rankings: list[np.ndarray] = []
        if self.lexical is not None and query.strip():
            rankings.append(self._lexical_ranking(query, mask, depth))
            # Only next to BM25: fused with dense alone, one extra list would outweigh it (fqa10k dense R@5
            # 0.778 -> 0.752 with the ticker filter), while hybrid keeps its recall there.
            statement_ids = statement_ranking(self.store.statements, self.vectors, query, qvec, mask, depth)
            if statement_ids is not None:
                rankings.append(statement_ids)
        dense_ids, _ = dense_search(self._faiss, self.vectors, qvec, depth if rankings else k, mask)
        if rankings:
            ids = np.asarray(reciprocal_rank_fusion([dense_ids, *rankings])[:k], dtype=np.int64)
        else:
            ids = dense_ids[:k]
        scores = self.vectors[ids] @ qvec if len(ids) else np.zeros(0, dtype=np.float32)
        hits = [
            Hit(
                id=int(i),
                score=float(s),
                text=self.store.texts[i],
                metadata=self.store.metadata[i],
                tokens=self.store.tokens[i],
            )
            for i, s in zip(ids.tolist(), scores.tolist(), strict=True)
            if score_threshold is None or s >= score_threshold
        ]
        logger.debug(
            "search k=%d filtered=%s -> %d hits in %.1f ms",
            k,
            filt is not None,
            len(hits),
            (time.perf_counter() - started) * 1000,
        )
        return hits

    def _lexical_ranking(self, query: str, mask: np.ndarray | None, depth: int) -> np.ndarray:
        assert self.lexical is not None
        bm25 = self.lexical.scores(query)
        candidates = np.flatnonzero(bm25 > 0) if mask is None else np.flatnonzero(mask & (bm25 > 0))
        return top_k(bm25[candidates], candidates.astype(np.int64), depth)[0]


def check_embedder(manifest: IndexManifest, embedder: Embedder, folder: Path) -> None:
    """Raise IndexLoadError (one line) unless the index was built with this embedder's model and prefix."""
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


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
