"""Byte-level SSE framing: split complete events off a buffer without decoding what merely passes through."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

_EVENT_END = re.compile(rb"\r?\n\r?\n")


class LastFrame(bytes):
    """A source's final frame. It goes out together with the end of the body: a client that hangs up as soon
    as it reads [DONE] (the openai SDK does) then finds the response already complete, so the request counts
    and logs as 200 and not as a 499 disconnect."""


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
class StreamHead:
    """Data payloads up to and including the first one `is_start` accepted, and the bytes after it."""

    events: list[bytes]
    rest: bytes


async def read_head(chunks: AsyncIterator[bytes], is_start: Callable[[bytes], bool]) -> StreamHead | None:
    """Read events until one satisfies `is_start`; None if the stream ends before that."""
    buffer = b""
    events: list[bytes] = []
    async for chunk in chunks:
        buffer += chunk
        while (match := _EVENT_END.search(buffer)) is not None:
            event, buffer = buffer[: match.start()], buffer[match.end() :]
            data = event_data(event)
            if data is None:
                continue
            events.append(data)
            if is_start(data):
                return StreamHead(events, buffer)
    return None
