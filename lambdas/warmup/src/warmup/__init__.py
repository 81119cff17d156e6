"""Warm-up Lambda for the vLLM ECS services."""

from warmup.config import ModelTarget, WarmupConfig
from warmup.events import Action, WarmupEvent
from warmup.logic import WarmResult, sleep, warm

__all__ = ["Action", "ModelTarget", "WarmResult", "WarmupConfig", "WarmupEvent", "sleep", "warm"]
