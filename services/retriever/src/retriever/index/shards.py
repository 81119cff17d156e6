"""Sharded builds: each shard indexes a deterministic share of the filings; merge joins them into one version.

A merged index equals a single-process build of the same files: the chunks of every filing in corpus
manifest order, their vectors, and a FAISS index and BM25 built over all of them (BM25's IDF is global, so
it is rebuilt from the texts rather than combined from the shards').
"""

import hashlib
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field, ValidationError
from retriever.index.layout import clean_stale_staging, publish, resolve_version_dir, staging_dir
from retriever.index.lexical import LexicalIndex
from retriever.index.manifest import MANIFEST_FILE, IndexManifest, SourceFile, content_version
from retriever.index.store import CHUNKS_FILE, ChunkStore, write_chunks
from retriever.index.vectors import VECTORS_FILE, build_faiss, save_vectors
from retriever.sources.local import SourceDocument

logger = logging.getLogger(__name__)

SHARD_FILE = "shard.json"
_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


class ShardError(ValueError):
    """A shard spec is malformed, or a set of shards cannot be merged into one index."""


@dataclass(frozen=True)
class ShardSpec:
    """Shard `index` of `count` (0-based)."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> "ShardSpec":
        """`i/n` with 0 <= i < n."""
        match = _SPEC.match(text)
        if match is None:
            raise ShardError(f"shard {text!r} is not i/n (e.g. 0/4)")
        index, count = int(match[1]), int(match[2])
        if count < 1 or not 0 <= index < count:
            raise ShardError(f"shard {text!r}: need 0 <= i < n")
        return cls(index, count)

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


class ShardInfo(BaseModel):
    """shard.json beside a shard's manifest: which share of which corpus it holds."""

    index: int = Field(ge=0)
    count: int = Field(ge=1)
    corpus: str  # digest of the corpus manifest's file list, so shards of different corpora never mix
    positions: dict[str, int]  # file name -> position in the corpus manifest


def shard_of(file_name: str, count: int) -> int:
    """The shard a filing belongs to: a hash of its file name, stable under manifest edits and reordering."""
    digest = hashlib.sha256(file_name.encode()).digest()
    return int.from_bytes(digest[:8], "big") % count


def corpus_digest(docs: Sequence[SourceDocument]) -> str:
    """Identity of a corpus listing (file names in manifest order)."""
    return hashlib.sha256("\n".join(d.path.name for d in docs).encode()).hexdigest()[:16]


def select(docs: Sequence[SourceDocument], spec: ShardSpec) -> tuple[list[SourceDocument], ShardInfo]:
    """This shard's filings (in manifest order) and the record the merge step needs."""
    positions = {
        d.path.name: i for i, d in enumerate(docs) if shard_of(d.path.name, spec.count) == spec.index
    }
    mine = [d for d in docs if d.path.name in positions]
    return mine, ShardInfo(
        index=spec.index, count=spec.count, corpus=corpus_digest(docs), positions=positions
    )


def write_shard_info(version_dir: Path, info: ShardInfo) -> None:
    """Mark a built version as a shard (written after the build, read by merge)."""
    (version_dir / SHARD_FILE).write_text(info.model_dump_json(indent=2))


@dataclass
class _Shard:
    folder: Path
    info: ShardInfo
    manifest: IndexManifest
    store: ChunkStore
    vectors: np.ndarray


def _load_shard(path: Path) -> _Shard:
    folder = resolve_version_dir(path)
    if folder is None:
        raise ShardError(f"no index at {path}")
    if not (folder / SHARD_FILE).is_file():
        raise ShardError(f"{folder} is not a shard (no {SHARD_FILE}; build it with --shard i/n)")
    try:
        info = ShardInfo.model_validate_json((folder / SHARD_FILE).read_text())
        manifest = IndexManifest.model_validate_json((folder / MANIFEST_FILE).read_text())
    except (OSError, ValidationError) as exc:
        raise ShardError(f"corrupt shard {folder}: {type(exc).__name__}") from exc
    store = ChunkStore.load(folder / CHUNKS_FILE)
    vectors = np.load(folder / VECTORS_FILE)
    if not len(store) == len(vectors) == manifest.chunk_count == sum(s.chunks for s in manifest.sources):
        raise ShardError(f"corrupt shard {folder}: chunk, vector and manifest counts differ")
    return _Shard(folder, info, manifest, store, vectors)


def _check_compatible(shards: list[_Shard]) -> None:
    first = shards[0]
    count = first.info.count
    seen = sorted(s.info.index for s in shards)
    if seen != list(range(count)):
        raise ShardError(f"need shards 0..{count - 1} of {count} exactly once, got {seen}")
    for shard in shards[1:]:
        if shard.info.count != count or shard.info.corpus != first.info.corpus:
            raise ShardError(
                f"{shard.folder} belongs to another sharded build (corpus or shard count differ)"
            )
        a, b = shard.manifest, first.manifest
        if (
            a.embedding.fingerprint != b.embedding.fingerprint
            or a.embedding.query_prefix != b.embedding.query_prefix
        ):
            raise ShardError(
                f"{shard.folder} was embedded with {a.embedding.model!r} ({a.embedding.fingerprint}), "
                f"{first.folder} with {b.embedding.model!r} ({b.embedding.fingerprint})"
            )
        if (a.chunker, a.hybrid, a.pipeline_version) != (b.chunker, b.hybrid, b.pipeline_version):
            raise ShardError(
                f"{shard.folder} and {first.folder} differ in chunker, hybrid or pipeline version"
            )


@dataclass
class MergeResult:
    """The published merged version."""

    version: str
    folder: Path
    chunk_count: int
    documents: int
    seconds: float


def merge_shards(paths: Sequence[Path], root: Path, *, index_type: str | None = None) -> MergeResult:
    """Join shards (index roots or version folders) into one new version under root, published atomically."""
    started = time.perf_counter()
    if not paths:
        raise ShardError("no shards to merge")
    shards = [_load_shard(Path(p)) for p in paths]
    _check_compatible(shards)
    # Every filing's rows, placed where a single-process build would put them: corpus manifest order.
    pieces: list[tuple[int, _Shard, int, SourceFile]] = []
    for shard in shards:
        start = 0
        for source in shard.manifest.sources:
            if source.file not in shard.info.positions:
                raise ShardError(f"{shard.folder}: {source.file} is not in its shard record")
            pieces.append((shard.info.positions[source.file], shard, start, source))
            start += source.chunks
    pieces.sort(key=lambda piece: piece[0])
    texts: list[str] = []
    hashes: list[str] = []
    titles: list[str] = []
    tokens: list[int | None] = []
    metadata = []
    blocks = []
    for _, shard, start, source in pieces:
        end = start + source.chunks
        texts += shard.store.texts[start:end]
        hashes += shard.store.hashes[start:end]
        titles += shard.store.page_titles[start:end]
        tokens += shard.store.tokens[start:end].tolist()
        metadata += shard.store.metadata[start:end]
        blocks.append(shard.vectors[start:end])
    first = shards[0].manifest
    vectors = np.concatenate(blocks) if blocks else np.zeros((0, first.embedding.dimension), np.float32)
    chosen = _index_type(index_type or first.index_type, len(texts))
    version = content_version(first.embedding, first.chunker, chosen, hashes)

    root.mkdir(parents=True, exist_ok=True)
    clean_stale_staging(root)
    staged = staging_dir(root)
    write_chunks(staged / CHUNKS_FILE, texts, metadata, hashes, tokens, titles)
    save_vectors(staged, build_faiss(vectors, chosen), vectors)
    if first.hybrid:
        LexicalIndex.build([f"{t}\n{x}" if t else x for t, x in zip(titles, texts, strict=True)]).save(staged)
    seconds = time.perf_counter() - started
    manifest = IndexManifest(
        version=version,
        embedding=first.embedding,
        chunker=first.chunker,
        index_type=chosen,  # type: ignore[arg-type]
        hybrid=first.hybrid,
        chunk_count=len(texts),
        sources=[source for *_, source in pieces],
        build_seconds=round(seconds, 2),
    )
    # The manifest is written last: a staging folder without one is never loadable.
    (staged / MANIFEST_FILE).write_text(manifest.model_dump_json(indent=2))
    final = publish(root, staged, version)
    logger.info("merged %d shards into %s (%d chunks)", len(shards), version, len(texts))
    return MergeResult(version, final, len(texts), len(pieces), seconds)


def _index_type(requested: str, chunks: int) -> str:
    if requested != "auto":
        return requested
    from retriever.index import vectors

    choose = getattr(vectors, "choose_index_type", None)
    return str(choose(chunks)) if choose is not None else "flat"
