"""The services an app serves with, kept on `app.state.gateway`."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.auth import ApiKeyAuth
from gateway.chat.serving import ChatService
from gateway.embeddings.serving import EmbeddingService
from gateway.files.serving import FileService
from gateway.metrics import Metrics
from gateway.models.serving import ModelService
from gateway.ratelimit import RateLimiter
from gateway.responses.serving import ResponsesService
from gateway.retrieval.service import RetrievalService
from gateway.settings import GatewaySettings
from gateway.upstream.registry import UpstreamRegistry
from gateway.upstream.warmup import WarmupHook
from gateway.vector_stores.serving import VectorStoreService


@dataclass
class GatewayState:
    """Everything request handlers need, built once at start-up."""

    settings: GatewaySettings
    metrics: Metrics
    auth: ApiKeyAuth
    limiter: RateLimiter
    registry: UpstreamRegistry
    retrieval: RetrievalService
    chat: ChatService
    vector_stores: VectorStoreService
    embeddings: EmbeddingService
    models: ModelService
    warmup: WarmupHook
    files: FileService
    responses: ResponsesService
