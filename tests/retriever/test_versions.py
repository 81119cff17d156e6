"""Atomic publishing (a killed build leaves the old index loadable) and incremental add."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from retriever.embedder import Embedder
from retriever.index import SearchIndex
from retriever.index.builder import BuildError, add_documents, build_index
from retriever.index.layout import versions_dir
from retriever.sources.local import read_corpus

pytestmark = pytest.mark.slow


def _copy(root: Path, dest: Path) -> Path:
    shutil.copytree(root, dest, symlinks=True)
    return dest


def test_killed_build_leaves_previous_index_loading(
    built_index: Path, corpus_dir: Path, tmp_path: Path, embedder: Embedder, model_path: str, cache_dir: Path
):
    root = _copy(built_index, tmp_path / "root")
    before = SearchIndex.current_version(root)
    # A full real filing: embedding takes long enough to be killed halfway.
    corpus = tmp_path / "one"
    corpus.mkdir()
    (corpus / "TSLA_FY2023_10K.html").symlink_to(corpus_dir / "TSLA_FY2023_10K.html")
    header, row = (
        (corpus_dir / "manifest.csv").read_text().splitlines()[0],
        next(
            line
            for line in (corpus_dir / "manifest.csv").read_text().splitlines()
            if line.startswith("TSLA_FY2023")
        ),
    )
    (corpus / "manifest.csv").write_text(f"{header}\n{row}\n")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "RAG_CACHE_DIR": str(cache_dir)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "retriever.cli",
            "build",
            "--corpus",
            str(corpus),
            "--out",
            str(root),
            "--model",
            model_path,
            "--backend",
            "onnx",
            "--no-cache",
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        env=env,
    )
    assert proc.stderr is not None
    seen = b""
    deadline = time.monotonic() + 120
    while b"embedding:" not in seen and time.monotonic() < deadline and proc.poll() is None:
        seen += os.read(proc.stderr.fileno(), 4096)
    assert b"embedding:" in seen, seen[-2000:]
    time.sleep(1.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert SearchIndex.current_version(root) == before
    index = SearchIndex.load(root, embedder)
    assert index.version == before and len(index.search("Tesla", k=3)) == 3
    published = [p.name for p in versions_dir(root).iterdir() if not p.name.startswith(".")]
    assert published == [before]


def test_failed_build_keeps_current(built_index: Path, tmp_path: Path, embedder: Embedder):
    root = _copy(built_index, tmp_path / "root")
    before = SearchIndex.current_version(root)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "a.pdf").write_bytes(b"%PDF-1.4 garbage")
    (bad / "manifest.csv").write_text(
        "file,ticker,company,cik,form,fiscal_year\na.pdf,X,X Corp,1,10-K,2024\n"
    )
    with pytest.raises(BuildError, match="no readable filings"):
        build_index(read_corpus(bad), embedder, root)
    assert SearchIndex.current_version(root) == before


def test_rebuild_reuses_previous_vectors(
    built_index: Path, slice_corpus: Path, tmp_path: Path, embedder: Embedder
):
    root = _copy(built_index, tmp_path / "root")
    result = build_index(read_corpus(slice_corpus), embedder, root)
    assert result.embedded == 0 and result.reused == result.chunk_count
    assert result.version == SearchIndex.current_version(root) == SearchIndex.current_version(built_index)


def test_incremental_add_embeds_only_new_chunks(
    built_index: Path, extra_corpus: Path, tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
):
    root = _copy(built_index, tmp_path / "root")
    old = SearchIndex.load(root, embedder)
    old_texts = set(old.store.texts)
    embedded: list[str] = []
    real = embedder.embed_documents

    def counting(texts: list[str], *, show_progress: bool = False) -> np.ndarray:
        embedded.extend(texts)
        return real(texts, show_progress=show_progress)

    monkeypatch.setattr(embedder, "embed_documents", counting)
    result = add_documents(read_corpus(extra_corpus), embedder, root, cache=None)
    new = SearchIndex.load(root, embedder)
    added = len(new) - len(old)
    assert added > 0 and result.documents == 1
    assert len(embedded) == result.embedded == added
    assert all(t.split("\n", 1)[1] not in old_texts for t in embedded)
    assert all(t.startswith("Microsoft Corporation (MSFT) 8-K") for t in embedded)
    assert np.array_equal(new.vectors[: len(old)], old.vectors)
    assert new.store.texts[: len(old)] == old.store.texts
    assert new.version != old.version and (versions_dir(root) / old.version).is_dir()
    assert (
        new.search("Microsoft", k=3, filters={"type": "eq", "key": "form", "value": "8-K"})[0].metadata.ticker
        == "MSFT"
    )
    # Adding the same files again is a no-op on embeddings.
    embedded.clear()
    again = add_documents(read_corpus(extra_corpus), embedder, root, cache=None)
    assert embedded == [] and again.chunk_count == len(new)


def test_prune_keeps_current(built_index: Path, extra_corpus: Path, tmp_path: Path, embedder: Embedder):
    from retriever.index.layout import prune_versions

    root = _copy(built_index, tmp_path / "root")
    add_documents(read_corpus(extra_corpus), embedder, root)
    current = SearchIndex.current_version(root)
    assert len(list(versions_dir(root).iterdir())) == 2
    removed = prune_versions(root, keep=1)
    assert current not in removed and len(removed) == 1
    assert SearchIndex.load(root, embedder).version == current
