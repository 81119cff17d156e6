"""Optional warm-up hook: ask a Lambda to scale the upstream up, at most once per cooldown window."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)


class WarmupHook:
    """Fire-and-forget trigger, rate-limited to one call per cooldown."""

    def __init__(self, invoke: Callable[[], Any] | None, cooldown: float) -> None:
        self._invoke = invoke
        self._cooldown = cooldown
        self._last: float | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.fired = 0

    @property
    def enabled(self) -> bool:
        """Whether a hook is configured."""
        return self._invoke is not None

    def trigger(self, reason: str) -> bool:
        """Start the hook unless it ran within the cooldown; returns whether it fired."""
        if self._invoke is None:
            return False
        now = time.monotonic()
        if self._last is not None and now - self._last < self._cooldown:
            return False
        self._last = now
        self.fired += 1
        logger.info("firing upstream warm-up hook (%s)", reason)
        task = asyncio.get_running_loop().create_task(self._run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def _run(self) -> None:
        assert self._invoke is not None
        try:
            await asyncio.to_thread(self._invoke)
        except Exception:  # a failed warm-up must never affect request handling
            logger.warning("warm-up hook failed", exc_info=True)


def lambda_invoker(function_name: str, region: str | None, client: Any = None) -> Callable[[], Any]:
    """Asynchronous (Event) invoke of the warm-up Lambda through boto3."""
    if client is None:
        import boto3

        client = boto3.client("lambda", region_name=region)
    payload = json.dumps({"source": "rag-gateway", "reason": "upstream_unavailable"}).encode()

    def invoke() -> Any:
        return client.invoke(FunctionName=function_name, InvocationType="Event", Payload=payload)

    return invoke
