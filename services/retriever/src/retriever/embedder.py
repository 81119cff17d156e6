"""Embedder: normalised sentence embeddings for documents and prefixed queries."""

import logging
from pathlib import Path
from typing import Literal

import numpy as np
from retriever.embedding.encoders import Encoder, OnnxEncoder, TorchEncoder
from retriever.embedding.model_files import default_query_prefix, resolve_model
from retriever.settings import RetrieverSettings
from tokenizers import Tokenizer

logger = logging.getLogger(__name__)

Backend = Literal["torch", "onnx", "http"]


class Embedder:
    """A sentence-transformers model (hub id or local folder) on a torch or int8 ONNX backend."""

    def __init__(
        self,
        model: str,
        *,
        backend: Backend = "torch",
        query_prefix: str | None = None,
        batch_size: int = 64,
        cache_dir: Path | None = None,
        url: str | None = None,
        served_model: str | None = None,
        timeout_s: float = 60.0,
    ) -> None:
        files = resolve_model(model)
        self.model_id = model
        self.fingerprint = files.fingerprint
        self.backend = backend
        self.max_seq_length = files.max_seq_length
        self.query_prefix = default_query_prefix(model) if query_prefix is None else query_prefix
        self.batch_size = batch_size
        self._tokenizer = Tokenizer.from_file(str(files.folder / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()
        encoder: Encoder
        if backend == "http":
            from retriever.embedding.http_encoder import EmbeddingServerError, HttpEncoder

            if not url:
                raise EmbeddingServerError(
                    "the http embedding backend needs RAG_EMBEDDING_URL (a /v1 base URL)"
                )
            encoder = HttpEncoder(files, url, served_model=served_model, timeout_s=timeout_s)
        elif backend == "onnx":
            encoder = OnnxEncoder(files, cache_dir or RetrieverSettings().cache_dir)
        else:
            encoder = TorchEncoder(files)
        self._encoder = encoder
        self.dimension = encoder.dimension
        # Key of this embedder's vectors in an EmbeddingCache. The fingerprint names only the model folder (an
        # index may load under another backend once check_vector_space has compared vectors), but a cache must
        # not hand int8 ONNX vectors to a torch or http build: they differ (cosine ~0.99, and a served model's
        # truncation may differ more), and a build would mix them without any check.
        self.cache_key = f"{self.fingerprint}:{backend}"
        logger.info(
            "embedder %s (%s backend, dim %d, max %d tokens)",
            model,
            backend,
            self.dimension,
            self.max_seq_length,
        )

    @classmethod
    def from_settings(cls, settings: RetrieverSettings) -> "Embedder":
        """Build the embedder configured by RAG_EMBEDDING_* settings."""
        return cls(
            settings.embedding_model,
            backend=settings.embedding_backend,
            query_prefix=settings.query_prefix,
            batch_size=settings.batch_size,
            cache_dir=settings.cache_dir,
            url=settings.embedding_url,
            served_model=settings.embedding_served_model,
            timeout_s=settings.embedding_timeout,
        )

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Embed queries with the model's instruction prefix; float32 (n, d), L2-normalised."""
        return self._encode([self.query_prefix + t for t in texts], show_progress=False)

    def embed_documents(self, texts: list[str], *, show_progress: bool = False) -> np.ndarray:
        """Embed passages as they are; float32 (n, d), L2-normalised."""
        return self._encode(texts, show_progress=show_progress)

    def count_tokens(self, text: str) -> int:
        """Number of model tokens in text, without special tokens."""
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)

    def count_tokens_batch(self, texts: list[str]) -> list[int]:
        """Token counts for many texts at once (the Rust tokenizer parallelises the batch)."""
        return [len(e.ids) for e in self._tokenizer.encode_batch(list(texts), add_special_tokens=False)]

    def split_by_tokens(self, text: str, max_tokens: int) -> list[tuple[int, int]]:
        """Character spans of consecutive windows of at most max_tokens tokens."""
        offsets = self._tokenizer.encode(text, add_special_tokens=False).offsets
        spans: list[tuple[int, int]] = []
        for lo in range(0, len(offsets), max_tokens):
            window = offsets[lo : lo + max_tokens]
            spans.append((window[0][0], window[-1][1]))
        return spans or [(0, len(text))]

    def _encode(self, texts: list[str], *, show_progress: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._encoder.encode(texts, batch_size=self.batch_size, show_progress=show_progress)
