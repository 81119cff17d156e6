"""Pure warm/sleep logic over injected ECS, ELBv2 and HTTP clients."""

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from warmup.config import ModelTarget, WarmupConfig
from warmup.events import WarmupEvent

logger = logging.getLogger(__name__)


class WarmupError(RuntimeError):
    """The service cannot be warmed: missing, inactive, or the AWS call failed."""


class WarmupTimeoutError(WarmupError):
    """The service did not become healthy before the deadline."""


class Status(StrEnum):
    """Overall outcome reported to the caller."""

    READY = "READY"
    WARMING = "WARMING"
    ASLEEP = "ASLEEP"


class HealthProbe(Protocol):
    """GET a URL and return its HTTP status; raises OSError when unreachable."""

    def __call__(self, url: str, timeout: float) -> int: ...


class Deadline(Protocol):
    """Seconds left before the invocation must return."""

    def remaining(self) -> float: ...


@dataclass(frozen=True, slots=True)
class ModelState:
    """What was observed for one model's service."""

    service: str
    desired: int
    running: int
    healthy_targets: int
    health_ok: bool | None

    def ready_for(self, wanted: int) -> bool:
        """All wanted tasks run, are healthy in the ALB, and /health answered 200 when probed."""
        return self.running >= wanted and self.healthy_targets >= wanted and self.health_ok is not False


@dataclass(frozen=True, slots=True)
class WarmResult:
    """Structured result returned by the handler."""

    status: Status
    action: str
    models: dict[str, ModelState] = field(default_factory=dict)
    elapsed_seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "status": self.status.value,
            "action": self.action,
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "models": {name: asdict(state) for name, state in self.models.items()},
        }


def warm(
    ecs: Any,
    elbv2: Any,
    http: HealthProbe,
    cfg: WarmupConfig,
    deadline: Deadline,
    event: WarmupEvent,
    *,
    sleeper: Callable[[float], None] = time.sleep,
) -> WarmResult:
    """Raise each model's desiredCount to max(current, N) and wait until it serves, within the deadline."""
    started = time.monotonic()
    wanted = event.count or cfg.default_count
    targets = {name: cfg.targets[name] for name in event.models}
    for name, target in targets.items():
        current = _describe_service(ecs, cfg.cluster, target.service)["desiredCount"]
        if current < wanted:
            logger.info("scaling %s (%s) from %d to %d tasks", name, target.service, current, wanted)
            _update_desired(ecs, cfg.cluster, target.service, wanted)

    while True:
        states = {name: _observe(ecs, elbv2, http, cfg, t, event.check_health) for name, t in targets.items()}
        elapsed = time.monotonic() - started
        if all(state.ready_for(wanted) for state in states.values()):
            return WarmResult(Status.READY, event.action.value, states, elapsed)
        if not event.wait:
            return WarmResult(Status.WARMING, event.action.value, states, elapsed)
        if deadline.remaining() < cfg.poll_seconds:
            not_ready = sorted(name for name, state in states.items() if not state.ready_for(wanted))
            raise WarmupTimeoutError(
                f"models {not_ready} not healthy after {elapsed:.0f}s: "
                + "; ".join(f"{n}={states[n]}" for n in not_ready)
            )
        logger.info("waiting %.1fs for %d model(s) to become healthy", cfg.poll_seconds, len(states))
        sleeper(cfg.poll_seconds)


def sleep(ecs: Any, cfg: WarmupConfig, event: WarmupEvent) -> WarmResult:
    """Scale each model's service to zero tasks; a no-op for services already at zero."""
    started = time.monotonic()
    states: dict[str, ModelState] = {}
    for name in event.models:
        target = cfg.targets[name]
        service = _describe_service(ecs, cfg.cluster, target.service)
        if service["desiredCount"] != 0:
            logger.info("scaling %s (%s) to zero", name, target.service)
            _update_desired(ecs, cfg.cluster, target.service, 0)
        states[name] = ModelState(target.service, 0, service["runningCount"], 0, None)
    return WarmResult(Status.ASLEEP, event.action.value, states, time.monotonic() - started)


def _describe_service(ecs: Any, cluster: str, service: str) -> Mapping[str, Any]:
    response = ecs.describe_services(cluster=cluster, services=[service])
    found = [s for s in response.get("services", []) if s.get("status") == "ACTIVE"]
    if not found:
        reasons = [f.get("reason", "?") for f in response.get("failures", [])]
        raise WarmupError(f"service {service} is not ACTIVE in cluster {cluster}: {reasons or 'not found'}")
    return found[0]


def _update_desired(ecs: Any, cluster: str, service: str, count: int) -> None:
    ecs.update_service(cluster=cluster, service=service, desiredCount=count)


def _observe(
    ecs: Any, elbv2: Any, http: HealthProbe, cfg: WarmupConfig, target: ModelTarget, check_health: bool
) -> ModelState:
    service = _describe_service(ecs, cfg.cluster, target.service)
    health = elbv2.describe_target_health(TargetGroupArn=target.target_group_arn)
    healthy = sum(
        1
        for d in health.get("TargetHealthDescriptions", [])
        if d.get("TargetHealth", {}).get("State") == "healthy"
    )
    health_ok = _probe(http, target.health_url, cfg.http_timeout_seconds) if check_health else None
    return ModelState(target.service, service["desiredCount"], service["runningCount"], healthy, health_ok)


def _probe(http: HealthProbe, url: str | None, timeout: float) -> bool | None:
    if url is None:
        return None
    try:
        status = http(url, timeout)
    except OSError as exc:
        logger.info("health probe %s unreachable: %s", url, exc)
        return False
    return status == 200
