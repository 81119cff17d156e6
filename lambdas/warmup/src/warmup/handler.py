"""Lambda entry point: parse the event, build clients once, delegate to the pure logic."""

import functools
import logging
import os
from dataclasses import dataclass
from typing import Any

import boto3

from warmup.config import WarmupConfig
from warmup.events import Action, BadEventError, WarmupEvent
from warmup.health import urllib_probe
from warmup.logic import sleep, warm

logger = logging.getLogger(__name__)

# Leave time to serialise the result and log before Lambda kills the invocation.
SAFETY_MARGIN_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class LambdaDeadline:
    """Deadline backed by the Lambda context's remaining time."""

    context: Any

    def remaining(self) -> float:
        """Seconds left minus a safety margin."""
        return self.context.get_remaining_time_in_millis() / 1000.0 - SAFETY_MARGIN_SECONDS


@functools.cache
def clients() -> tuple[Any, Any]:
    """ECS and ELBv2 clients, built once per execution environment."""
    return boto3.client("ecs"), boto3.client("elbv2")


@functools.cache
def config() -> WarmupConfig:
    """Configuration from the environment, read on first invocation rather than at import."""
    return WarmupConfig.from_env(os.environ)


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    """Handle a warm or sleep request; raises on bad events and on services that never become healthy."""
    cfg = config()
    try:
        request = WarmupEvent.parse(event, cfg.targets)
    except BadEventError:
        logger.error("rejected event with keys %s", sorted(event) if isinstance(event, dict) else type(event))
        raise
    if isinstance(event, dict) and "source" in event:
        logger.info("invoked by %s: %s", event["source"], event.get("reason", "-"))
    ecs, elbv2 = clients()
    if request.action is Action.SLEEP:
        result = sleep(ecs, cfg, request)
    else:
        result = warm(ecs, elbv2, urllib_probe, cfg, LambdaDeadline(context), request)
    payload = result.to_dict()
    logger.info("warmup %s finished: %s", request.action.value, payload["status"])
    return payload
