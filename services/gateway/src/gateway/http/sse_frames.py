"""Byte-level SSE framing: split complete events off a buffer without decoding what merely passes through."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

_EVENT_END = re.compile(rb"\r?\n\r?\n")


def last_boundary(buffer: bytes) -> int:
    """Index just past the last complete event in `buffer`, or -1 if none is complete."""
    lf = buffer.rfind(b"\n\n")
    crlf = buffer.rfind(b"\r\n\r\n")
    return max(lf + 2 if lf >= 0 else -1, crlf + 4 if crlf >= 0 else -1)


def split_events(block: bytes) -> list[bytes]:
    """Complete events of a block (each without its terminating blank line)."""
    return [event for event in _EVENT_END.split(block) if event.strip()]


def event_data(event: bytes) -> bytes | None:
    """The `data:` payload of one event (multi-line data joined by newlines), or None for comments only."""
    parts = []
    for line in event.splitlines():
        if line.startswith(b"data:"):
            parts.append(line[6:] if line.startswith(b"data: ") else line[5:])
    return b"\n".join(parts) if parts else None


@dataclass
class FirstEvent:
    """The first data event of a stream and whatever complete or partial bytes followed it."""

    data: bytes
    rest: bytes


async def read_first_event(chunks: AsyncIterator[bytes]) -> FirstEvent | None:
    """Read until the first event with data; None if the stream ends before one."""
    buffer = b""
    async for chunk in chunks:
        buffer += chunk
        while (match := _EVENT_END.search(buffer)) is not None:
            event, buffer = buffer[: match.start()], buffer[match.end() :]
            data = event_data(event)
            if data is not None:
                return FirstEvent(data, buffer)
    return None
