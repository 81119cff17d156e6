"""A cross-encoder behind an HTTP rerank API: vLLM's `/v1/rerank`, in the Jina/Cohere request shape.

vLLM serves it for any `*ForSequenceClassification` model with one label (e.g. `BAAI/bge-reranker-v2-m3`)
started with `--runner pooling`; Jina's and Cohere's hosted rerank APIs take the same request, so the base
URL may point at either.
"""

from __future__ import annotations

import logging
import math
import time
from types import TracebackType

import httpx
import numpy as np
from pydantic import BaseModel, ValidationError
from retriever.rerank.base import CandidateSet, RerankError
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, stop_after_delay, wait_fixed

logger = logging.getLogger(__name__)

RERANK_PATH = "/rerank"
DEFAULT_TIMEOUT_S = 2.0
DEFAULT_MAX_DOCUMENTS = 64
_ERROR_DETAIL_CHARS = 200

# Only failures where the server cannot have done the work are retried: a refused or timed-out connect, or
# a pooled keep-alive connection the server closed before answering. A read timeout is not retried: the
# server is busy, and a second try would double the latency the search is waiting on.
_RETRYABLE = (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError)


class _Result(BaseModel):
    index: int
    relevance_score: float


class _RerankResponse(BaseModel):
    """The part of the response we read; vLLM also echoes `document`, `id`, `model` and `usage`."""

    results: list[_Result]


class HttpReranker:
    """Scores candidates with a cross-encoder served by vLLM (or any Jina/Cohere-compatible rerank API).

    Thread-safe: one pooled `httpx.Client` serves every search thread. Candidates beyond `max_documents` are
    not sent; they keep their first-stage order below every scored one. `base_url` is an OpenAI-style base
    URL ending in /v1; requests go to `<base_url>/rerank`.
    """

    name = "http"

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        timeout: float = DEFAULT_TIMEOUT_S,
        api_key: str | None = None,
        max_documents: int = DEFAULT_MAX_DOCUMENTS,
        max_attempts: int = 2,
        retry_wait: float = 0.05,
        max_connections: int = 16,
        truncate: bool = True,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not base_url:
            raise ValueError("reranker base_url is empty (an OpenAI-style base URL ending in /v1)")
        if not model:
            raise ValueError("reranker model is empty (the served model name of the cross-encoder)")
        if timeout <= 0 or max_documents < 1 or max_attempts < 1:
            raise ValueError("reranker timeout must be > 0, max_documents and max_attempts >= 1")
        self.model = model
        self.max_documents = max_documents
        self.url = base_url.rstrip("/") + RERANK_PATH
        self._timeout = timeout
        self._max_attempts = max_attempts
        self._retry_wait = retry_wait
        self._truncate = truncate
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout),
            headers=headers,
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"HttpReranker(url={self.url!r}, model={self.model!r})"

    def __enter__(self) -> HttpReranker:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the pooled connections."""
        self._client.close()

    def score(self, candidates: CandidateSet) -> np.ndarray:
        """One relevance score per candidate (higher is better); raises RerankError when the server fails."""
        n = len(candidates)
        if n == 0:
            return np.zeros(0, dtype=np.float32)
        sent = min(n, self.max_documents)
        payload = {
            "model": self.model,
            "query": candidates.query,
            "documents": list(candidates.texts[:sent]),
            # All of them: the caller merges the scores with the first stage, so none may be cut off.
            "top_n": sent,
        }
        if self._truncate:
            # vLLM answers 400 for the whole request when one pair exceeds the model's window; -1 cuts such a
            # pair (the passage's tail) to max_model_len instead. A vLLM extension: `truncate=False` for
            # servers that refuse unknown fields.
            payload["truncate_prompt_tokens"] = -1
        started = time.perf_counter()
        body = self._post(payload)
        scores = _scores_from(body, sent)
        logger.debug(
            "reranked %d of %d candidates in %.1f ms", sent, n, (time.perf_counter() - started) * 1e3
        )
        if sent == n:
            return scores
        # The unsent tail ranks below every scored candidate and keeps its first-stage order.
        tail = float(scores.min()) - 1.0 - np.arange(n - sent, dtype=np.float32)
        return np.concatenate([scores, tail])

    def _post(self, payload: dict[str, object]) -> object:
        retrying = Retrying(
            retry=retry_if_exception_type(_RETRYABLE),
            stop=stop_after_attempt(self._max_attempts) | stop_after_delay(self._timeout),
            wait=wait_fixed(self._retry_wait),
            reraise=True,
        )
        try:
            response = retrying(self._client.post, self.url, json=payload)
        except httpx.TimeoutException as exc:
            raise RerankError(f"reranker {self.url} timed out after {self._timeout:g} s") from exc
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise RerankError(f"reranker {self.url} unreachable: {type(exc).__name__}") from exc
        if response.status_code != httpx.codes.OK:
            raise RerankError(
                f"reranker {self.url} answered {response.status_code}: {_error_detail(response)}"
            )
        try:
            return response.json()
        except ValueError as exc:
            raise RerankError(f"reranker {self.url} answered with a body that is not JSON") from exc


def _scores_from(body: object, expected: int) -> np.ndarray:
    """Scores aligned with the documents sent, from `results[{index, relevance_score}]` in any order."""
    try:
        parsed = _RerankResponse.model_validate(body)
    except ValidationError as exc:
        where = ", ".join(".".join(str(p) for p in e["loc"]) or "body" for e in exc.errors()[:3])
        raise RerankError(f"reranker response is not results[{{index, relevance_score}}] at {where}") from exc
    scores = np.full(expected, np.nan, dtype=np.float32)
    for result in parsed.results:
        if not 0 <= result.index < expected or not np.isnan(scores[result.index]):
            raise RerankError(f"reranker response has an out-of-range or repeated index {result.index}")
        if not math.isfinite(result.relevance_score):
            raise RerankError(f"reranker returned a non-finite score for document {result.index}")
        scores[result.index] = result.relevance_score
    missing = int(np.isnan(scores).sum())
    if missing:
        raise RerankError(f"reranker response scored {expected - missing} of {expected} documents")
    return scores


def _error_detail(response: httpx.Response) -> str:
    """The server's error message on one short line (OpenAI's and vLLM's `error.message`, or the raw text)."""
    try:
        body = response.json()
    except ValueError:
        text = response.text
    else:
        error = body.get("error") if isinstance(body, dict) else None
        message = error.get("message") if isinstance(error, dict) else None
        if message is None and isinstance(body, dict):
            message = body.get("message") or body.get("detail")
        text = str(message if message is not None else body)
    line = " ".join(text.split())
    return line[:_ERROR_DETAIL_CHARS] or response.reason_phrase
