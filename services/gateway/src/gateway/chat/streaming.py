"""Relay of an upstream chat stream: a sources chunk first, the upstream's bytes as received, then the
gateway's closing chunks (citation annotations, grounding) computed from the kept transcript."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

import httpx2
from pydantic_core import to_json

from gateway.errors import GatewayError, from_upstream_body
from gateway.http.sse_frames import LastFrame, event_data, split_events
from gateway.upstream.caller import OpenedStream
from gateway.upstream.event_blocks import event_blocks, interrupted

logger = logging.getLogger(__name__)

DONE = b"data: [DONE]\n\n"
# Cheap pre-checks on a block of complete events; only blocks containing one of these are parsed.
_MARKERS = (b"[DONE]", b'"error"', b'"object":"error"', b'"object": "error"', b'"usage":{', b'"usage": {')


def frame(data: bytes) -> bytes:
    """One SSE event from an already-encoded JSON payload."""
    return b"data: " + data + b"\n\n"


def error_frame(error: GatewayError) -> bytes:
    """`data: {"error": {...}}` for failures after the first byte."""
    return frame(to_json(error.body()))


def is_error_payload(data: bytes) -> bool:
    """vLLM reports in-stream errors as {"error": ...} (new) or {"object": "error", ...} (old)."""
    head = data.lstrip()[:24].replace(b" ", b"")
    return head.startswith((b'{"error"', b'{"object":"error"'))


def error_from_payload(data: bytes) -> GatewayError:
    """Rewrite an upstream in-stream error into ours."""
    try:
        body = json.loads(data)
    except ValueError:
        body = {}
    detail = body.get("error", body) if isinstance(body, dict) else {}
    code = detail.get("code") if isinstance(detail, dict) else None
    status = code if isinstance(code, int) and 400 <= code < 600 else 502
    return from_upstream_body(status, body)


def usage_block(data: bytes) -> dict[str, Any] | None:
    """The usage object of a chunk if it carries a non-null one (cheap check before parsing)."""
    at = data.find(b'"usage":')
    if at < 0 or data[at + 8 : at + 14].lstrip().startswith(b"null"):
        return None
    usage = json.loads(data).get("usage")
    return usage if isinstance(usage, dict) else None


@dataclass
class StreamedAnswer:
    """What the upstream streamed: the content of each choice, and the chunks' id, created and model."""

    texts: dict[int, str] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)


class Transcript:
    """The upstream's events as received; decoded only once the upstream is done, so relaying stays a copy."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def add(self, frames: bytes) -> None:
        """Keep complete SSE events exactly as relayed."""
        self._parts.append(frames)

    def answer(self) -> StreamedAnswer:
        """The accumulated content per choice index."""
        pieces: dict[int, list[str]] = {}
        meta: dict[str, Any] = {}
        for event in split_events(b"".join(self._parts)):
            data = event_data(event)
            if data is None or data == b"[DONE]" or is_error_payload(data):
                continue
            try:
                chunk = json.loads(data)
            except ValueError:
                continue
            if not isinstance(chunk, dict):
                continue
            if not meta:
                meta = {key: chunk.get(key) for key in ("id", "created", "model")}
            for choice in chunk.get("choices") or ():
                delta = choice.get("delta") if isinstance(choice, dict) else None
                content = delta.get("content") if isinstance(delta, dict) else None
                if isinstance(content, str) and content:
                    index = choice.get("index")
                    pieces.setdefault(index if isinstance(index, int) else 0, []).append(content)
        return StreamedAnswer({index: "".join(parts) for index, parts in pieces.items()}, meta)


# The gateway's closing frames for a finished answer: sent before the usage chunk, and last (before [DONE]).
Ending = tuple[bytes, bytes]


def ending_frames(
    answer: StreamedAnswer,
    *,
    fingerprint: str,
    annotations: Mapping[int, list[dict[str, Any]]] | None,
    grounding: dict[str, Any],
) -> Ending:
    """An annotations chunk (per choice; none without sources) and a `choices: []` grounding chunk."""
    base = {
        "id": answer.meta.get("id") or "chatcmpl-rag",
        "object": "chat.completion.chunk",
        "created": answer.meta.get("created") or 0,
        "model": answer.meta.get("model") or "",
        "system_fingerprint": fingerprint,
    }
    cited = b""
    if annotations is not None:
        indexes = sorted(set(answer.texts) | set(annotations)) or [0]
        choices = [
            {
                "index": index,
                "delta": {"annotations": list(annotations.get(index, ()))},
                "logprobs": None,
                "finish_reason": None,
            }
            for index in indexes
        ]
        cited = frame(to_json({**base, "choices": choices}))
    return cited, frame(to_json({**base, "choices": [], "grounding": grounding}))


class ChatStream:
    """SSE frames for one chat request; always ends with [DONE], with an error frame before it on failure.

    With `on_end`, the relayed events are kept and, once the upstream is done, `on_end` turns them into the
    closing frames: the first part goes out before the usage chunk, the second after it (or both before
    [DONE] when there is no usage chunk). A stream that fails gets an error frame instead.
    """

    def __init__(
        self,
        opened: OpenedStream,
        *,
        head: bytes | None,
        forward_usage: bool,
        deadline: float,
        on_usage: Callable[[dict[str, Any]], None],
        on_end: Callable[[Transcript], Ending] | None = None,
    ) -> None:
        self._opened = opened
        self._head = head
        self._forward_usage = forward_usage
        self._deadline = deadline
        self._on_usage = on_usage
        self._on_end = on_end
        self._transcript = Transcript() if on_end is not None else None
        self._ended = False
        self._done = False

    def _ending(self) -> Ending:
        """The closing frames, once; empty afterwards and without `on_end`."""
        if self._ended or self._on_end is None or self._transcript is None:
            return b"", b""
        self._ended = True
        return self._on_end(self._transcript)

    async def aclose(self) -> None:
        """Close the upstream response (also aborts the request upstream if still running)."""
        if self._done:
            await self._finish_body()
        await self._opened.aclose()

    async def _finish_body(self) -> None:
        # Reading the (empty) rest after [DONE] returns the connection to the pool instead of closing it.
        try:
            async with asyncio.timeout(1.0):
                async for _ in self._opened.chunks:
                    pass
        except (TimeoutError, httpx2.HTTPError):
            logger.debug("upstream body not finished after [DONE]; the connection will be dropped")

    def _event(self, data: bytes) -> tuple[bytes | None, bool]:
        """What to send for one event's payload, and whether the stream is finished."""
        if data == b"[DONE]":
            self._done = True
            return b"".join(self._ending()) + DONE, True
        if is_error_payload(data):
            return error_frame(error_from_payload(data)) + DONE, True
        usage = usage_block(data)
        if usage is not None:
            self._on_usage(usage)
            if b'"choices":[]' in data.replace(b" ", b""):
                # The final usage chunk: every content chunk is in, so the annotations go before it.
                before, after = self._ending()
                sent = before + (frame(data) if self._forward_usage else b"") + after
                return sent or None, False
        return frame(data), False

    def _block(self, block: bytes) -> tuple[bytes, bool]:
        """Complete events as received, unless a marker asks for a closer look at each event."""
        if self._transcript is not None:
            self._transcript.add(block)
        if not any(marker in block for marker in _MARKERS):
            return block, False
        out: list[bytes] = []
        for event in split_events(block):
            data = event_data(event)
            if data is None:
                continue
            sent, finished = self._event(data)
            if sent is not None:
                out.append(sent)
            if finished:
                return b"".join(out), True
        return b"".join(out), False

    async def frames(self) -> AsyncIterator[bytes]:
        """Sources chunk, then the upstream's events, then [DONE]."""
        if self._head is not None:
            yield self._head
        for data in self._opened.head:
            if self._transcript is not None:
                self._transcript.add(frame(data))
            sent, finished = self._event(data)
            if finished:
                yield LastFrame(sent or b"")
                return
            if sent is not None:
                yield sent
        try:
            async with aclosing(event_blocks(self._opened, self._opened.rest, self._deadline)) as blocks:
                async for block in blocks:
                    out, finished = self._block(block)
                    if finished:
                        yield LastFrame(out)
                        return
                    if out:
                        yield out
        except GatewayError as error:
            failure = error
        except ValueError as exc:
            logger.warning("upstream stream failed mid-way: %s", type(exc).__name__)
            failure = interrupted()
        except Exception:  # never a stream that just stops: a bug here still ends in an error frame
            logger.exception("stream relay failed")
            failure = GatewayError(500, "Internal error while streaming.")
        yield LastFrame(error_frame(failure) + DONE)


def sources_chunk(
    first_data: bytes,
    *,
    sources: list[dict[str, Any]],
    fingerprint: str,
    retrieval: dict[str, Any] | None = None,
) -> bytes:
    """A chunk shaped like the upstream's first one, carrying `sources` (and `retrieval`) and no content."""
    try:
        first = json.loads(first_data)
    except ValueError:
        first = {}
    if not isinstance(first, dict):
        first = {}
    chunk = {
        "id": first.get("id", "chatcmpl-rag"),
        "object": "chat.completion.chunk",
        "created": first.get("created", 0),
        "model": first.get("model", ""),
        "system_fingerprint": fingerprint,
        "choices": [
            {
                "index": 0,
                "delta": {"role": "assistant", "content": ""},
                "logprobs": None,
                "finish_reason": None,
            }
        ],
        "sources": sources,
    }
    if retrieval is not None:
        chunk["retrieval"] = retrieval
    return frame(to_json(chunk))
