"""Per-app mutable state (timing, faults, stats), kept on ``app.state`` and reached through accessors."""

import time
from dataclasses import dataclass, field

from starlette.requests import Request

from synthetic_upstream.faults import Faults
from synthetic_upstream.replies import Replies
from synthetic_upstream.settings import UpstreamSettings
from synthetic_upstream.stats import Stats
from synthetic_upstream.timing import Timing


@dataclass(slots=True)
class UpstreamState:
    """Everything one running upstream knows and can be told."""

    settings: UpstreamSettings
    timing: Timing
    faults: Faults
    stats: Stats
    replies: Replies = field(default_factory=Replies)
    started_at: float = field(default_factory=time.time)

    @classmethod
    def from_settings(cls, settings: UpstreamSettings) -> "UpstreamState":
        """Build the start-up state, including start-up faults."""
        return cls(
            settings=settings,
            timing=Timing(settings.ttft_ms, settings.itl_ms, settings.output_tokens),
            faults=Faults(
                fail_next=settings.fail_next,
                fail_status=settings.fail_status,
                retry_after=settings.fail_retry_after,
                drop_after_tokens=settings.drop_after_tokens,
                first_token_delay_s=settings.first_token_delay_s,
            ),
            stats=Stats(recorded_requests=settings.recorded_requests),
        )


def get_state(request: Request) -> UpstreamState:
    """The upstream state of the app serving ``request``."""
    state: UpstreamState = request.app.state.upstream
    return state
