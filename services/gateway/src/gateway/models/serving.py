"""Model listing: the upstreams' models by their served names."""

from __future__ import annotations

from gateway.models.protocol import ModelCard, ModelList
from gateway.upstream.registry import UpstreamRegistry


class ModelService:
    """Lists what the upstreams serve."""

    def __init__(self, registry: UpstreamRegistry) -> None:
        self._registry = registry

    async def list(self) -> ModelList:
        """Union of all upstream model lists."""
        cards = await self._registry.list_models()
        return ModelList(data=[ModelCard.model_validate(card) for card in cards])
