"""Parsing and validation of the invocation event."""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

MAX_COUNT = 16
# Informational keys, logged but not acted on (the gateway's warm-up hook sends both).
INFO_KEYS = frozenset({"source", "reason"})
KNOWN_KEYS = frozenset({"action", "models", "count", "wait", "check_health"}) | INFO_KEYS


class BadEventError(ValueError):
    """The event cannot be acted on; nothing was changed."""


class Action(StrEnum):
    """What the invocation asks for."""

    WARM = "warm"
    SLEEP = "sleep"


@dataclass(frozen=True, slots=True)
class WarmupEvent:
    """A validated request: which models, how many tasks, and whether to wait."""

    action: Action
    models: tuple[str, ...]
    count: int | None = None
    wait: bool = True
    check_health: bool = True

    @classmethod
    def parse(cls, event: Any, known_models: Mapping[str, object]) -> "WarmupEvent":
        """Validate a raw event (direct invoke or EventBridge constant input)."""
        if not isinstance(event, Mapping):
            raise BadEventError("event must be a JSON object")
        unknown_keys = set(event) - KNOWN_KEYS
        if unknown_keys:
            raise BadEventError(f"unknown event keys: {sorted(unknown_keys)}")
        for key in INFO_KEYS & set(event):
            if not isinstance(event[key], str):
                raise BadEventError(f"{key} must be a string")
        try:
            # The gateway's hook sends only {"source", "reason"}: a missing action means warm.
            action = Action(event.get("action", Action.WARM.value))
        except ValueError as exc:
            raise BadEventError(f"action must be one of {[a.value for a in Action]}") from exc
        models = _models(event.get("models"), known_models)
        count = _count(event.get("count"))
        wait = _flag(event, "wait", default=True)
        check_health = _flag(event, "check_health", default=True)
        return cls(action=action, models=models, count=count, wait=wait, check_health=check_health)


def _models(raw: object, known: Mapping[str, object]) -> tuple[str, ...]:
    if raw is None:
        return tuple(sorted(known))
    if not isinstance(raw, list) or not raw or not all(isinstance(m, str) for m in raw):
        raise BadEventError("models must be a non-empty list of model names")
    missing = sorted(set(raw) - set(known))
    if missing:
        raise BadEventError(f"unknown models: {missing}; known: {sorted(known)}")
    return tuple(dict.fromkeys(raw))


def _count(raw: object) -> int | None:
    if raw is None:
        return None
    # bool is an int subclass; `true` is never a task count.
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_COUNT:
        raise BadEventError(f"count must be an integer in 1..{MAX_COUNT}")
    return raw


def _flag(event: Mapping[str, Any], key: str, *, default: bool) -> bool:
    value = event.get(key, default)
    if not isinstance(value, bool):
        raise BadEventError(f"{key} must be a boolean")
    return value
