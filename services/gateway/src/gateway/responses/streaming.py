"""A chat completion stream from the upstream, re-told as OpenAI's Responses event sequence."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from typing import Any

from pydantic import BaseModel
from pydantic_core import to_json

from gateway.chat.streaming import error_from_payload, is_error_payload
from gateway.errors import GatewayError
from gateway.http.sse_frames import LastFrame, event_data, split_events
from gateway.responses.output import ResponseBuilder, response_usage
from gateway.responses.protocol import OutputText, ResponseError, ResponseObject, ResponseUsage
from gateway.upstream.caller import OpenedStream
from gateway.upstream.event_blocks import event_blocks, interrupted

logger = logging.getLogger(__name__)


class EventWriter:
    """SSE events `event: <type>` / `data: {...}` numbered by `sequence_number` from 0."""

    def __init__(self) -> None:
        self._next = 0

    def __call__(self, kind: str, **fields: Any) -> bytes:
        """One encoded event."""
        payload = {"type": kind, "sequence_number": self._next, **fields}
        self._next += 1
        return b"event: " + kind.encode() + b"\ndata: " + to_json(payload) + b"\n\n"


def _dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump()


def error_code(error: GatewayError) -> str:
    """The Responses error code for a failure (OpenAI's codes: server or rate limit)."""
    return "rate_limit_exceeded" if error.status == 429 else "server_error"


class UpstreamText:
    """Content deltas, finish reason and usage read from the upstream's chat chunks."""

    def __init__(self) -> None:
        self.pieces: list[str] = []
        self.finish_reason: str | None = None
        self.usage: dict[str, Any] | None = None

    def read(self, data: bytes) -> tuple[str | None, bool]:
        """The content delta of one event's payload (if any) and whether the stream is done."""
        if data == b"[DONE]":
            return None, True
        if is_error_payload(data):
            raise error_from_payload(data)
        chunk = json.loads(data)
        if not isinstance(chunk, dict):
            return None, False
        if isinstance(chunk.get("usage"), dict):
            self.usage = chunk["usage"]
        delta_text = None
        for choice in chunk.get("choices") or ():
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta")
            content = delta.get("content") if isinstance(delta, dict) else None
            if isinstance(content, str) and content:
                delta_text = content
                self.pieces.append(content)
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]
        return delta_text, False

    @property
    def text(self) -> str:
        """The answer so far."""
        return "".join(self.pieces)


class ResponseStream:
    """The events of one streamed response; always ends in response.completed, .incomplete or .failed."""

    def __init__(
        self,
        opened: OpenedStream,
        builder: ResponseBuilder,
        *,
        deadline: float,
        on_usage: Callable[[dict[str, Any]], None],
        grounding: Callable[[str], dict[str, Any] | None],
        on_done: Callable[[ResponseObject, str], Awaitable[None]],
    ) -> None:
        self._opened = opened
        self._builder = builder
        self._deadline = deadline
        self._on_usage = on_usage
        self._grounding = grounding
        self._on_done = on_done
        self._event = EventWriter()
        self._upstream = UpstreamText()
        self._message_index = 0 if builder.tool is None else 1

    async def aclose(self) -> None:
        """Close the upstream response (aborts the request upstream if still running)."""
        await self._opened.aclose()

    def _opening(self) -> list[bytes]:
        b, event = self._builder, self._event
        started = _dump(b.response("in_progress"))
        frames = [
            event("response.created", response=started),
            event("response.in_progress", response=started),
        ]
        search = b.search_call("in_progress")
        if search is not None:
            frames.append(event("response.output_item.added", output_index=0, item=_dump(search)))
            for phase in ("in_progress", "searching", "completed"):
                frames.append(event(f"response.file_search_call.{phase}", output_index=0, item_id=search.id))
            done = b.search_call("completed")
            assert done is not None
            frames.append(event("response.output_item.done", output_index=0, item=_dump(done)))
        where = {"item_id": b.message_id, "output_index": self._message_index}
        frames.append(
            event("response.output_item.added", output_index=self._message_index, item=_dump(b.message()))
        )
        frames.append(
            event("response.content_part.added", **where, content_index=0, part=_dump(OutputText()))
        )
        return frames

    def _delta(self, text: str) -> bytes:
        return self._event(
            "response.output_text.delta",
            item_id=self._builder.message_id,
            output_index=self._message_index,
            content_index=0,
            delta=text,
            logprobs=[],
        )

    async def _closing(self) -> list[bytes]:
        b, event, text = self._builder, self._event, self._upstream.text
        where = {"item_id": b.message_id, "output_index": self._message_index, "content_index": 0}
        incomplete = self._upstream.finish_reason == "length"
        message = b.message(text, "incomplete" if incomplete else "completed")
        part = message.content[0]
        frames = [
            event("response.output_text.annotation.added", **where, annotation_index=n, annotation=_dump(a))
            for n, a in enumerate(part.annotations)
        ]
        frames.append(event("response.output_text.done", **where, text=text, logprobs=[]))
        frames.append(event("response.content_part.done", **where, part=_dump(part)))
        frames.append(
            event("response.output_item.done", output_index=self._message_index, item=_dump(message))
        )
        usage = self._upstream.usage
        response = b.response(
            "incomplete" if incomplete else "completed",
            b.output(message),
            usage=response_usage(usage) or ResponseUsage(),
            incomplete="max_output_tokens" if incomplete else None,
            grounding=self._grounding(text),
        )
        await self._on_done(response, text)
        kind = "response.incomplete" if incomplete else "response.completed"
        frames.append(event(kind, response=_dump(response)))
        return frames

    def _failed(self, error: GatewayError) -> bytes:
        b = self._builder
        partial = b.message(self._upstream.text, "incomplete")
        response = b.response(
            "failed", b.output(partial), error=ResponseError(code=error_code(error), message=error.message)
        )
        return self._event("response.failed", response=_dump(response))

    def _events(self, block: bytes) -> tuple[list[bytes], bool]:
        out: list[bytes] = []
        for event in split_events(block):
            data = event_data(event)
            if data is None:
                continue
            delta, done = self._upstream.read(data)
            if self._upstream.usage is not None and done:
                self._on_usage(self._upstream.usage)
            if delta:
                out.append(self._delta(delta))
            if done:
                return out, True
        return out, False

    async def frames(self) -> AsyncIterator[bytes]:
        """Opening events, one delta per upstream content chunk, then the closing events."""
        for frame in self._opening():
            yield frame
        head = b"".join(b"data: " + data + b"\n\n" for data in self._opened.head) + self._opened.rest
        try:
            async with aclosing(event_blocks(self._opened, head, self._deadline)) as blocks:
                async for block in blocks:
                    out, done = self._events(block)
                    if out:
                        yield b"".join(out)
                    if done:
                        *closing, last = await self._closing()
                        for frame in closing:
                            yield frame
                        yield LastFrame(last)
                        return
        except GatewayError as error:
            failure = error
        except ValueError as exc:
            logger.warning("upstream stream failed mid-way: %s", type(exc).__name__)
            failure = interrupted()
        except Exception:  # never a stream that just stops: a bug here still ends in response.failed
            logger.exception("responses stream failed")
            failure = GatewayError(500, "Internal error while streaming.")
        yield LastFrame(self._failed(failure))
