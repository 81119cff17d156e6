"""Per-principal request rate limit (token bucket)."""

from __future__ import annotations

import math
import time

from gateway.errors import GatewayError

_MAX_TRACKED = 10_000


class RateLimiter:
    """`per_minute` requests per principal with bursts up to the same number; 0 disables it."""

    def __init__(self, per_minute: int) -> None:
        self._capacity = float(per_minute)
        self._refill = per_minute / 60.0
        self._buckets: dict[str, tuple[float, float]] = {}

    def check(self, principal: str, now: float | None = None) -> None:
        """Take one token or raise 429 rate_limit_exceeded with Retry-After."""
        if self._capacity <= 0:
            return
        now = time.monotonic() if now is None else now
        tokens, last = self._buckets.get(principal, (self._capacity, now))
        tokens = min(self._capacity, tokens + (now - last) * self._refill)
        if tokens < 1.0:
            wait = math.ceil((1.0 - tokens) / self._refill)
            self._buckets[principal] = (tokens, now)
            raise GatewayError(
                429,
                f"Rate limit of {int(self._capacity)} requests per minute exceeded; retry in {wait} s.",
                code="rate_limit_exceeded",
                headers={"Retry-After": str(wait)},
            )
        if len(self._buckets) >= _MAX_TRACKED and principal not in self._buckets:
            self._buckets.clear()  # bounded memory; forgetting buckets only ever grants, never denies
        self._buckets[principal] = (tokens - 1.0, now)
