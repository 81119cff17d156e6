"""Static configuration of the Lambda, read from its environment by the handler."""

import json
from collections.abc import Mapping
from dataclasses import dataclass


class ConfigError(ValueError):
    """The Lambda's environment is missing a key or holds a malformed value."""


@dataclass(frozen=True, slots=True)
class ModelTarget:
    """One vLLM model: its ECS service, its ALB target group and its health URL."""

    service: str
    target_group_arn: str
    health_url: str | None = None


@dataclass(frozen=True, slots=True)
class WarmupConfig:
    """Cluster, model targets and polling policy."""

    cluster: str
    targets: Mapping[str, ModelTarget]
    default_count: int = 1
    poll_seconds: float = 10.0
    http_timeout_seconds: float = 3.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "WarmupConfig":
        """Build from WARMUP_* variables; fails naming the key that is wrong."""
        cluster = _required(env, "WARMUP_CLUSTER")
        raw = _required(env, "WARMUP_TARGETS")
        try:
            decoded = json.loads(raw)
            targets = {
                name: ModelTarget(
                    service=str(spec["service"]),
                    target_group_arn=str(spec["target_group_arn"]),
                    health_url=spec.get("health_url") or None,
                )
                for name, spec in decoded.items()
            }
        except (json.JSONDecodeError, AttributeError, KeyError, TypeError) as exc:
            raise ConfigError(
                f"WARMUP_TARGETS is not a JSON map of model -> {{service, target_group_arn}}: {exc}"
            ) from exc
        if not targets:
            raise ConfigError("WARMUP_TARGETS is empty")
        return cls(
            cluster=cluster,
            targets=targets,
            default_count=_positive_int(env, "WARMUP_DEFAULT_COUNT", 1),
            poll_seconds=float(env.get("WARMUP_POLL_SECONDS", "10")),
            http_timeout_seconds=float(env.get("WARMUP_HTTP_TIMEOUT_SECONDS", "3")),
        )


def _required(env: Mapping[str, str], key: str) -> str:
    value = env.get(key, "").strip()
    if not value:
        raise ConfigError(f"missing required environment variable {key}")
    return value


def _positive_int(env: Mapping[str, str], key: str, default: int) -> int:
    raw = env.get(key)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{key} must be an integer, got {raw!r}") from exc
    if value < 1:
        raise ConfigError(f"{key} must be >= 1, got {value}")
    return value
