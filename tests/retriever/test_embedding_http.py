"""The http embedding backend: batching, retries, one-line errors, and vectors in the in-process space."""

import httpx
import numpy as np
import pytest
from retriever.embedding.http_encoder import EmbeddingServerError, HttpEncoder
from retriever.embedding.model_files import resolve_model

TEXTS = ["Apple's net sales were $391 billion.", "Risk factors include supply chain disruption.", "Tesla"]


@pytest.fixture(scope="module")
def files(model_path: str):
    return resolve_model(model_path)


def _server(embedder, calls: list[int], fail_first: int = 0, scale: float = 3.0):
    """An OpenAI-shaped /v1/embeddings handler: the in-process encoder's vectors, unnormalised."""

    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(len(calls))
        if len(calls) <= fail_first:
            return httpx.Response(503, text="warming up")
        body = __import__("json").loads(request.content)
        vectors = embedder.embed_documents(body["input"]) * scale
        rows = [{"object": "embedding", "index": i, "embedding": v.tolist()} for i, v in enumerate(vectors)]
        return httpx.Response(200, json={"object": "list", "data": rows[::-1], "model": body["model"]})

    return httpx.MockTransport(handle)


def test_vectors_match_the_in_process_encoder_in_batches(files, embedder):
    calls: list[int] = []
    encoder = HttpEncoder(files, "http://embed/v1", transport=_server(embedder, calls))
    got = encoder.encode(TEXTS, batch_size=2, show_progress=False)
    want = embedder.embed_documents(TEXTS)
    assert len(calls) == 2  # batches of 2
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)  # normalised whatever the server sends
    assert (np.sum(got * want, axis=1) >= 0.99).all()


def test_transient_503_is_retried(files, embedder):
    calls: list[int] = []
    encoder = HttpEncoder(files, "http://embed/v1", transport=_server(embedder, calls, fail_first=2))
    assert encoder.encode(TEXTS[:1], batch_size=8, show_progress=False).shape == (1, 384)
    assert len(calls) == 3


def test_errors_are_one_line(files, embedder):
    def wrong_dim(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": [{"index": 0, "embedding": [0.1] * 768}]})

    encoder = HttpEncoder(files, "http://embed/v1", transport=httpx.MockTransport(wrong_dim))
    with pytest.raises(EmbeddingServerError, match=r"shape \(1, 768\).*same model") as info:
        encoder.encode(TEXTS[:1], batch_size=8, show_progress=False)
    assert "\n" not in str(info.value)

    def refused(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, text="model not found")

    encoder = HttpEncoder(files, "http://embed/v1", transport=httpx.MockTransport(refused))
    with pytest.raises(EmbeddingServerError, match="answered 400: model not found"):
        encoder.encode(TEXTS[:1], batch_size=8, show_progress=False)


def test_http_embedder_records_the_same_model_as_the_in_process_one(model_path: str, embedder):
    from retriever.embedder import Embedder

    remote = Embedder(model_path, backend="http", url="http://127.0.0.1:9/v1")
    # Same fingerprint and prefix: an index built over http loads with the in-process query encoder.
    assert (remote.fingerprint, remote.dimension, remote.query_prefix) == (
        embedder.fingerprint,
        embedder.dimension,
        embedder.query_prefix,
    )
    with pytest.raises(EmbeddingServerError, match="unreachable"):
        remote.embed_documents(["x"])


def test_the_embedding_cache_keeps_each_backends_vectors_apart(model_path: str, embedder, tmp_path):
    """A build over http must not reuse int8 ONNX vectors cached for the same model folder."""
    from retriever.embedder import Embedder
    from retriever.embedding.cache import EmbeddingCache

    remote = Embedder(model_path, backend="http", url="http://127.0.0.1:9/v1")
    onnx_cache = EmbeddingCache.for_embedder(tmp_path, embedder)
    onnx_cache.put_many(["chunk-hash"], embedder.embed_documents(TEXTS[:1]))
    assert set(onnx_cache.get_many(["chunk-hash"])) == {"chunk-hash"}
    assert EmbeddingCache.for_embedder(tmp_path, remote).get_many(["chunk-hash"]) == {}
