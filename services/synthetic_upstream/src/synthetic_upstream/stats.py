"""What the upstream observed: attempts, completions, disconnects and the last request bodies."""

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Disconnect:
    """A client that closed its request before the response ended."""

    request_id: str
    at: float
    tokens_sent: int
    phase: str


@dataclass(slots=True)
class Stats:
    """Counters of one upstream; ``reset`` clears them between test cases."""

    recorded_requests: int = 50
    attempts: int = 0
    completed: int = 0
    errors_injected: int = 0
    drops_injected: int = 0
    rejected: int = 0
    active: int = 0
    tokens_sent: int = 0
    disconnects: deque[Disconnect] = field(default_factory=lambda: deque(maxlen=1000))
    requests: deque[dict[str, Any]] = field(default_factory=deque)

    def __post_init__(self) -> None:
        self.requests = deque(maxlen=self.recorded_requests)

    def record_request(self, request_id: str, body: Any) -> None:
        """Count an attempt and keep its body."""
        self.attempts += 1
        if self.recorded_requests:
            self.requests.append({"id": request_id, "received_at": time.time(), "body": body})

    def record_disconnect(self, request_id: str, tokens_sent: int, phase: str) -> None:
        """Remember a client that went away early."""
        self.disconnects.append(Disconnect(request_id, time.time(), tokens_sent, phase))

    def reset(self) -> None:
        """Zero every counter (``active`` keeps counting live requests)."""
        self.attempts = self.completed = self.errors_injected = self.drops_injected = 0
        self.rejected = self.tokens_sent = 0
        self.disconnects.clear()
        self.requests.clear()

    def snapshot(self) -> dict[str, Any]:
        """Counters and recent requests as JSON-able data."""
        return {
            "attempts": self.attempts,
            "completed": self.completed,
            "errors_injected": self.errors_injected,
            "drops_injected": self.drops_injected,
            "rejected": self.rejected,
            "active": self.active,
            "tokens_sent": self.tokens_sent,
            "disconnects": [
                {"request_id": d.request_id, "at": d.at, "tokens_sent": d.tokens_sent, "phase": d.phase}
                for d in self.disconnects
            ],
            "requests": list(self.requests),
        }
