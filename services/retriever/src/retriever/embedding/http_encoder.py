"""Documents embedded by an OpenAI-compatible `/v1/embeddings` server (e.g. vLLM `--runner pooling`)."""

import logging

import httpx
import numpy as np
from retriever.embedding.model_files import ModelFiles
from tenacity import retry, retry_if_exception, stop_after_attempt, wait_exponential

logger = logging.getLogger(__name__)


class EmbeddingServerError(RuntimeError):
    """The embeddings server is unreachable, refused a batch, or returned vectors of the wrong shape."""


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, httpx.TransportError):
        return True
    return isinstance(exc, httpx.HTTPStatusError) and exc.response.status_code in (429, 502, 503, 504)


class HttpEncoder:
    """Batches texts to POST {url}/embeddings; vectors are L2-normalised here, whatever the server does.

    The local model folder still supplies the tokenizer (chunking) and the fingerprint the index records, so
    the served model must be the same weights; the dimension is checked on every reply, and loading an index
    checks that the server reproduces some of its vectors (retriever.index.search_index.check_vector_space).

    Texts are cut to the model's max_seq_length tokens as sentence-transformers does
    (`truncate_prompt_tokens`, applied by vLLM's tokenizer with the special tokens kept), so the server's
    --max-model-len must be at least that; without it vLLM refuses a longer text instead of embedding its
    start.
    """

    def __init__(
        self,
        files: ModelFiles,
        url: str,
        *,
        served_model: str | None = None,
        timeout_s: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._url = url.rstrip("/") + "/embeddings"
        self._model = served_model or files.model_id
        self._client = httpx.Client(timeout=timeout_s, transport=transport)
        self._truncate = files.max_seq_length
        self.dimension = files.dimension

    @property
    def url(self) -> str:
        """The embeddings endpoint posted to."""
        return self._url

    def encode(self, texts: list[str], *, batch_size: int, show_progress: bool) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for lo in range(0, len(texts), batch_size):
            out[lo : lo + batch_size] = self._batch(texts[lo : lo + batch_size])
        return out

    def _batch(self, texts: list[str]) -> np.ndarray:
        try:
            data = self._post(texts)
        except httpx.HTTPStatusError as exc:
            raise EmbeddingServerError(
                f"embeddings server {self._url} answered {exc.response.status_code}: "
                f"{exc.response.text[:200]}"
            ) from exc
        except httpx.HTTPError as exc:
            raise EmbeddingServerError(
                f"embeddings server {self._url} unreachable: {type(exc).__name__}"
            ) from exc
        rows = sorted(data.get("data", []), key=lambda row: row["index"])
        vectors = np.asarray([row["embedding"] for row in rows], dtype=np.float32)
        if vectors.shape != (len(texts), self.dimension):
            raise EmbeddingServerError(
                f"embeddings server {self._url} returned shape {vectors.shape} for {len(texts)} texts; "
                f"expected dimension {self.dimension} of model {self._model!r} (is it serving the same "
                "model?)"
            )
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.clip(norms, 1e-12, None)

    @retry(
        retry=retry_if_exception(_retryable),
        stop=stop_after_attempt(4),
        wait=wait_exponential(multiplier=0.5, max=8),
        reraise=True,
    )
    def _post(self, texts: list[str]) -> dict:  # type: ignore[type-arg]
        response = self._client.post(
            self._url, json={"model": self._model, "input": texts, "truncate_prompt_tokens": self._truncate}
        )
        response.raise_for_status()
        return dict(response.json())
