"""Server-Timing header values."""

from __future__ import annotations

from collections.abc import Mapping


def server_timing(durations: Mapping[str, float]) -> str:
    """`embed;dur=1.2, search;dur=0.4, ...` from seconds."""
    return ", ".join(f"{name};dur={seconds * 1000:.1f}" for name, seconds in durations.items())
