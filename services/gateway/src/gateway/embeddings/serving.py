"""Embeddings from the gateway's own embedding model."""

from __future__ import annotations

import base64
from pathlib import PurePath

import numpy as np

from gateway.embeddings.protocol import Embedding, EmbeddingRequest, EmbeddingResponse, EmbeddingUsage
from gateway.errors import invalid_request, model_not_found
from gateway.retrieval.service import RetrievalService

# Fewer than OpenAI's 2048: embeddings run on the gateway's CPU.
MAX_INPUTS = 256
MAX_CHARS = 100_000


class EmbeddingService:
    """Document-side embeddings (the same space as the index; no query prefix)."""

    def __init__(self, retrieval: RetrievalService, configured_model: str, served_name: str = "") -> None:
        self._retrieval = retrieval
        # A local model folder is served under its folder name, a hub id under itself, unless named.
        path = PurePath(configured_model)
        default_name = path.name if path.is_absolute() else configured_model
        self.served_name = served_name or default_name
        self._accepted = {configured_model, default_name, self.served_name, retrieval.embedder.model_id}

    def metrics_label(self, model: str) -> str:
        """The model as a metrics label (client-chosen names collapse to "unknown")."""
        return self.served_name if model in self._accepted else "unknown"

    def _texts(self, request: EmbeddingRequest) -> list[str]:
        raw = request.input
        texts = [raw] if isinstance(raw, str) else raw
        if not texts:
            raise invalid_request("input must not be empty.", param="input")
        if not all(isinstance(text, str) for text in texts):
            raise invalid_request("Token-id input is not supported; send text.", param="input")
        if len(texts) > MAX_INPUTS:
            raise invalid_request(f"At most {MAX_INPUTS} inputs per request.", param="input")
        for position, text in enumerate(texts):
            assert isinstance(text, str)
            if not text.strip():
                raise invalid_request("input strings must not be empty.", param=f"input[{position}]")
            if len(text) > MAX_CHARS:
                raise invalid_request(
                    f"input is longer than {MAX_CHARS} characters.", param=f"input[{position}]"
                )
        return [str(text) for text in texts]

    async def create(self, request: EmbeddingRequest) -> EmbeddingResponse:
        """Embed the input strings."""
        if request.model not in self._accepted:
            raise model_not_found(request.model)
        dimension = self._retrieval.embedder.dimension
        if request.dimensions is not None and request.dimensions != dimension:
            raise invalid_request(f"This model only produces {dimension} dimensions.", param="dimensions")
        texts = self._texts(request)
        vectors = await self._retrieval.embed_documents(texts)
        tokens = await self._retrieval.count_tokens(texts)
        data = [
            Embedding(index=i, embedding=_encode(vector, request.encoding_format))
            for i, vector in enumerate(vectors)
        ]
        return EmbeddingResponse(
            data=data, model=self.served_name, usage=EmbeddingUsage(prompt_tokens=tokens, total_tokens=tokens)
        )


def _encode(vector: np.ndarray, encoding: str) -> list[float] | str:
    floats = np.asarray(vector, dtype=np.float32)
    if encoding == "base64":
        return base64.b64encode(floats.tobytes()).decode()
    values: list[float] = floats.tolist()
    return values
