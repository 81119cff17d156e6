"""The http embedding backend against real vLLM on CPU serving the offline MiniLM folder (`--runner pooling`).

An index built over http must live in the in-process encoder's vector space: the gateway embeds queries
in-process, and loading such an index re-embeds a few stored chunks to prove it (check_vector_space).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from retriever.chunking import ChunkerParams
from retriever.cli import main
from retriever.embedder import Embedder
from retriever.embedding.http_encoder import HttpEncoder
from retriever.embedding.model_files import resolve_model
from retriever.index import SearchIndex
from retriever.index.search_index import VECTOR_CHECK_MIN_COSINE
from retriever.ingest import chunk_document, parse_documents
from retriever.sources.local import read_corpus
from support.corpus import PARSE_CACHE, TEST_CACHE
from support.vllm import VllmServer, start_vllm

SERVED_NAME = "minilm-embed"
# A PDF: its chunks are embedded under their page's title, which the store keeps apart from the text.
FILING = "AAPL_FY2022_10K.pdf"
QUESTIONS = (
    "What were Apple's total net sales in fiscal 2022?",
    "What risks does Apple face from its reliance on outsourcing partners in Asia?",
    "How many full-time employees did Apple have?",
)


@pytest.fixture(scope="module")
def embedding_server(
    repo_root: Path, embedding_model: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[VllmServer]:
    log = tmp_path_factory.mktemp("embed-vllm") / "vllm.log"
    # float32: the production flag set with the exact arithmetic of the in-process torch encoder.
    server = start_vllm(
        repo_root,
        log,
        VLLM_MODEL=embedding_model,
        VLLM_SERVED_MODEL_NAME=SERVED_NAME,
        VLLM_MAX_MODEL_LEN="256",
        VLLM_DTYPE="float32",
        VLLM_EXTRA_ARGS="--runner pooling",
    )
    yield server
    server.stop()


@pytest.fixture(scope="module")
def filing_corpus(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> Path:
    """A corpus folder holding one real 10-K PDF (a link to the shared file) and its manifest row."""
    folder = tmp_path_factory.mktemp("http-corpus")
    with (corpus_dir / "manifest.csv").open(newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["file"] == FILING]
    assert len(rows) == 1, f"{FILING} is not in {corpus_dir}/manifest.csv"
    with (folder / "manifest.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    (folder / FILING).symlink_to(corpus_dir / FILING)
    return folder


def test_served_vectors_match_the_in_process_encoder(
    embedding_server: VllmServer, embedding_model: str, embedder: Embedder, filing_corpus: Path
):
    (doc, parsed, error), *_ = parse_documents(read_corpus(filing_corpus), cache_dir=PARSE_CACHE)
    assert parsed is not None, error
    records = chunk_document(doc, parsed, embedder, ChunkerParams())
    # Every 8th chunk, as embedded (context header, page title, text): table pages and prose both.
    texts = [record.embed_text for record in records[::8]]
    assert len(texts) >= 40 and sum(bool(r.page_title) for r in records[::8]) >= len(texts) // 2

    served = HttpEncoder(resolve_model(embedding_model), embedding_server.base_url, served_model=SERVED_NAME)
    remote = served.encode(texts, batch_size=16, show_progress=False)
    same_weights = Embedder(embedding_model, backend="torch").embed_documents(texts)
    int8 = embedder.embed_documents(texts)

    # The same float32 weights and pooling: the bar is 0.99; vLLM gives 0.9999 here.
    assert np.sum(remote * same_weights, axis=1).min() >= 0.99
    # The int8 ONNX encoder the gateway runs stays well inside the bar the index load enforces.
    assert np.sum(remote * int8, axis=1).min() >= VECTOR_CHECK_MIN_COSINE + 0.03


def test_an_index_built_over_http_serves_in_process_queries(
    embedding_server: VllmServer,
    embedding_model: str,
    embedder: Embedder,
    filing_corpus: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    def build(out: Path, **env: str) -> Path:
        monkeypatch.setenv("RAG_EMBEDDING_MODEL", embedding_model)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        assert main(["build", "--corpus", str(filing_corpus), "--out", str(out), "--quiet"]) == 0
        return (out / "current").resolve()

    # A fresh cache: every vector of this build comes from the server.
    over_http = build(
        tmp_path / "http",
        RAG_CACHE_DIR=str(tmp_path / "cache"),
        RAG_EMBEDDING_BACKEND="http",
        RAG_EMBEDDING_URL=embedding_server.base_url,
        RAG_EMBEDDING_SERVED_MODEL=SERVED_NAME,
    )
    in_process = build(tmp_path / "onnx", RAG_CACHE_DIR=str(TEST_CACHE), RAG_EMBEDDING_BACKEND="onnx")

    # Loading with the gateway's in-process encoder re-embeds stored chunks and compares: it passes only
    # when it re-embeds what was embedded (with an index of page-titled PDF chunks, the text alone gave 0.78).
    index = SearchIndex.load(over_http, embedder)
    assert index.manifest.embedding.backend == "http"
    assert index.manifest.embedding.fingerprint == embedder.fingerprint
    assert sum(bool(t) for t in index.store.page_titles) > len(index.store) / 2
    reference = SearchIndex.load(in_process, embedder)
    assert len(index.store) == len(reference.store)

    for question in QUESTIONS:
        got = [hit.id for hit in index.search(question, k=5)]
        want = [hit.id for hit in reference.search(question, k=5)]
        # int8 against float32 document vectors may swap a near tie, not change what is found.
        assert len(set(got) & set(want)) >= 4, (question, got, want)
