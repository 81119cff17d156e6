"""Rerankers by name: what `RAG_RERANKER` and a request's `rag.rerank` choose between."""

import logging
from functools import cache
from typing import Literal

from retriever.rerank.base import Reranker
from retriever.rerank.learned import LearnedFusion, packaged_weights

logger = logging.getLogger(__name__)

RerankerName = Literal["fusion", "http", "none"]
DEFAULT_RERANKER: RerankerName = "fusion"


@cache
def default_reranker() -> Reranker | None:
    """The learned fusion with the packaged weights (None, logged, if they are missing or invalid)."""
    try:
        return LearnedFusion(packaged_weights())
    except (OSError, ValueError) as exc:
        logger.warning("learned fusion weights unavailable, searching without a second stage: %s", exc)
        return None


def make_reranker(
    name: RerankerName, *, url: str | None = None, model: str | None = None, timeout: float = 2.0
) -> Reranker | None:
    """The reranker `name` names; `http` needs the rerank server's base URL and model."""
    if name == "none":
        return None
    if name == "fusion":
        return default_reranker()
    if not url or not model:
        raise ValueError("the http reranker needs a URL and a model (RAG_RERANKER_URL, RAG_RERANKER_MODEL)")
    from retriever.rerank.http import HttpReranker

    return HttpReranker(url, model, timeout=timeout)
