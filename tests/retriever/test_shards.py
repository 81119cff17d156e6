"""`rag-index build --shard i/n` + `rag-index merge` equal a single-process build of the same real filings."""

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from retriever.cli import main
from retriever.index import SearchIndex
from retriever.index.shards import ShardError, ShardSpec, merge_shards, select


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, cache_dir: Path, model_path: str):
    monkeypatch.setenv("RAG_CACHE_DIR", str(cache_dir))
    monkeypatch.setenv("RAG_EMBEDDING_MODEL", model_path)
    monkeypatch.setenv("RAG_EMBEDDING_BACKEND", "onnx")


def _rows(folder: Path) -> list[tuple]:
    with sqlite3.connect(folder / "chunks.sqlite") as db:
        return db.execute("SELECT * FROM chunks ORDER BY id").fetchall()


def _manifest(folder: Path) -> dict:
    data = json.loads((folder / "manifest.json").read_text())
    for volatile in ("created_at", "build_seconds"):
        data.pop(volatile)
    return data


def _build(corpus: Path, out: Path, *extra: str) -> Path:
    assert main(["build", "--corpus", str(corpus), "--out", str(out), "--quiet", *extra]) == 0
    return (out / "current").resolve()


@pytest.mark.parametrize("count", [2, 3])
def test_merged_shards_equal_a_single_build(extra_corpus: Path, tmp_path: Path, embedder, count: int):
    single = _build(extra_corpus, tmp_path / "single")
    shard_roots = [tmp_path / f"shard{i}" for i in range(count)]
    # The three slices land on different shards at n=3 and split 1 + 2 at n=2 (hash of the file name).
    for i, root in enumerate(shard_roots):
        _build(extra_corpus, root, "--shard", f"{i}/{count}")
    assert main(["merge", *map(str, shard_roots), "--out", str(tmp_path / "merged")]) == 0
    merged = (tmp_path / "merged" / "current").resolve()

    assert merged.name == single.name  # same content version
    assert _manifest(merged) == _manifest(single)
    assert _rows(merged) == _rows(single)  # same chunks, same order, same metadata and token counts
    assert np.array_equal(np.load(merged / "vectors.npy"), np.load(single / "vectors.npy"))
    loaded = {name: SearchIndex.load(path, embedder) for name, path in (("m", merged), ("s", single))}
    question = "What are the risk factors for electric vehicle demand?"
    assert np.array_equal(loaded["m"].lexical.scores(question), loaded["s"].lexical.scores(question))
    hits = {
        name: [(h.id, round(h.score, 6)) for h in idx.search(question, k=8)] for name, idx in loaded.items()
    }
    assert hits["m"] == hits["s"]


def test_assignment_is_deterministic_and_covers_every_filing(corpus_docs):
    spec_sets = [select(corpus_docs, ShardSpec(i, 4)) for i in range(4)]
    names = [d.path.name for docs, _ in spec_sets for d in docs]
    assert sorted(names) == sorted(d.path.name for d in corpus_docs)
    assert len({info.corpus for _, info in spec_sets}) == 1
    reordered = list(reversed(corpus_docs))
    assert {d.path.name for d in select(reordered, ShardSpec(1, 4))[0]} == {
        d.path.name for d in spec_sets[1][0]
    }
    # 20 filings over 4 shards: no shard is empty or holds most of them.
    assert all(2 <= len(docs) <= 9 for docs, _ in spec_sets)


@pytest.mark.parametrize("text", ["1", "4/4", "a/b", "0/0"])
def test_bad_shard_specs_are_one_line_errors(text: str, extra_corpus: Path, tmp_path: Path, capsys):
    code = main(["build", "--corpus", str(extra_corpus), "--out", str(tmp_path / "x"), "--shard", text])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "rag-index: error: shard" in err


def test_merge_refuses_a_missing_or_foreign_shard(extra_corpus: Path, slice_corpus: Path, tmp_path: Path):
    a = _build(extra_corpus, tmp_path / "a", "--shard", "0/2")
    foreign = _build(slice_corpus, tmp_path / "f", "--shard", "1/2")
    with pytest.raises(ShardError, match="exactly once"):
        merge_shards([a], tmp_path / "m")
    with pytest.raises(ShardError, match="another sharded build"):
        merge_shards([a, foreign], tmp_path / "m")
    plain = _build(extra_corpus, tmp_path / "plain")
    with pytest.raises(ShardError, match="not a shard"):
        merge_shards([a, plain], tmp_path / "m")
