"""Retriever configuration (pydantic-settings, env prefix RAG_)."""

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MODEL = "BAAI/bge-small-en-v1.5"


def _default_cache_dir() -> Path:
    return Path.home() / ".cache" / "sec-retriever"


class RetrieverSettings(BaseSettings):
    """Embedding model, index location and search defaults."""

    model_config = SettingsConfigDict(env_prefix="RAG_", env_file=".env", extra="ignore")

    embedding_model: str = DEFAULT_MODEL
    embedding_backend: Literal["torch", "onnx", "http"] = "onnx"
    # http backend: an OpenAI-compatible /v1 base URL and the name it serves the model under.
    embedding_url: str | None = None
    embedding_served_model: str | None = None
    # Seconds per embeddings request (each is retried on 429/502/503/504 and connection errors).
    embedding_timeout: float = Field(default=60.0, gt=0)
    query_prefix: str | None = None
    index_dir: Path = Path("data/index")
    cache_dir: Path = Field(default_factory=_default_cache_dir)
    batch_size: int = Field(default=32, ge=1)
    chunk_tokens: int = Field(default=200, ge=16)
    overlap_tokens: int = Field(default=48, ge=0)
    # auto: exact flat up to 100k chunks, IVF-SQ8 above (retriever.index.vectors.choose_index_type)
    index_type: Literal["auto", "flat", "hnsw", "hnsw-sq8", "ivf-sq8", "ivf-pq"] = "auto"
    hybrid: bool = True
    sec_user_agent: str | None = Field(default=None, validation_alias="SEC_USER_AGENT")
