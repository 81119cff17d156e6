"""ASGI responses that emit the token sequence on schedule and notice clients that leave early."""

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from synthetic_upstream.protocol import DONE, ChunkEncoder, usage
from synthetic_upstream.stats import Stats
from synthetic_upstream.tokens import expected_text, token_text

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

_SSE_HEADERS = [(b"content-type", b"text/event-stream; charset=utf-8"), (b"cache-control", b"no-cache")]
_JSON_HEADERS = [(b"content-type", b"application/json")]


@dataclass(frozen=True, slots=True)
class Generation:
    """One planned completion: what to emit and when."""

    request_id: str
    model: str
    n_tokens: int
    finish_reason: str
    prompt_tokens: int
    include_usage: bool
    ttft_s: float
    itl_s: float
    drop_after_tokens: int | None = None
    # A scripted reply's pieces (POST /control/reply) instead of the t0 t1 ... sequence.
    script: tuple[str, ...] | None = None

    def chunk_text(self, index: int) -> str:
        """Token ``index`` ready to splice into a chunk (scripted pieces are JSON-escaped)."""
        return json.dumps(self.script[index])[1:-1] if self.script is not None else token_text(index)

    def text(self) -> str:
        """The whole completion text."""
        if self.script is not None:
            return "".join(self.script[: self.n_tokens])
        return expected_text(self.n_tokens)


async def _sleep_until(deadline: float) -> None:
    delay = deadline - asyncio.get_running_loop().time()
    if delay > 0:
        await asyncio.sleep(delay)


async def _wait_for_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


class _Completion:
    """Shared bookkeeping: active count, completion, disconnect detection."""

    def __init__(self, generation: Generation, stats: Stats) -> None:
        self.generation = generation
        self.stats = stats
        self.sent = 0
        self.finished = False

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        self.stats.active += 1
        try:
            if await self._run_watched(receive, self.produce(send)):
                phase = "streaming" if self.sent else "before_first_token"
                self.stats.record_disconnect(self.generation.request_id, self.sent, phase)
        finally:
            self.stats.active -= 1

    async def _run_watched(self, receive: Receive, work: Coroutine[Any, Any, None]) -> bool:
        """Run ``work`` until done or the client disconnects; True when the client left first."""
        producer = asyncio.ensure_future(work)
        watcher = asyncio.ensure_future(_wait_for_disconnect(receive))
        try:
            await asyncio.wait((producer, watcher), return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not producer.done() and not watcher.done():
                # the request task itself was cancelled (server shutdown)
                producer.cancel()
                watcher.cancel()
        if producer.done() or self.finished:
            watcher.cancel()
            await producer
            return False
        producer.cancel()
        with suppress(asyncio.CancelledError):
            await producer
        return True

    async def produce(self, send: Send) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        """Count the completion before its last message goes out: a client that has read the end of the
        answer may ask for the stats at once, before this request's task has returned."""
        self.finished = True
        self.stats.completed += 1

    def _drop_now(self) -> bool:
        if self.generation.drop_after_tokens == self.sent:
            self.stats.drops_injected += 1
            return True
        return False


class StreamingCompletion(_Completion):
    """SSE stream in OpenAI's chunk format, ending with ``data: [DONE]``."""

    async def produce(self, send: Send) -> None:
        g = self.generation
        headers = [*_SSE_HEADERS, (b"x-request-id", g.request_id.encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        encoder = ChunkEncoder(g.request_id, int(time.time()), g.model, g.include_usage)
        loop = asyncio.get_running_loop()
        await _sleep_until(loop.time() + g.ttft_s)
        # later tokens keep the ITL rate from when the first one actually left, so a late first token
        # does not make the rest arrive in a burst
        first_at = loop.time()
        for index in range(g.n_tokens):
            if self._drop_now():
                return  # returning mid-body makes uvicorn close the connection
            body = encoder.content(g.chunk_text(index))
            if index == 0:
                body = encoder.role() + body
            else:
                await _sleep_until(first_at + index * g.itl_s)
            await send({"type": "http.response.body", "body": body, "more_body": True})
            self.sent += 1
            self.stats.tokens_sent += 1
        if self._drop_now():
            return
        tail = encoder.finish(g.finish_reason)
        if g.include_usage:
            tail += encoder.usage_chunk(g.prompt_tokens, g.n_tokens)
        self._finish()
        await send({"type": "http.response.body", "body": tail + DONE, "more_body": False})


class FullCompletion(_Completion):
    """Non-streaming ``chat.completion`` sent after the whole generation time."""

    async def produce(self, send: Send) -> None:
        g = self.generation
        loop = asyncio.get_running_loop()
        await _sleep_until(loop.time() + g.ttft_s + max(g.n_tokens - 1, 0) * g.itl_s)
        if g.drop_after_tokens is not None:
            self.stats.drops_injected += 1
            await send({"type": "http.response.start", "status": 200, "headers": _JSON_HEADERS})
            return  # headers without a body, then uvicorn closes the connection
        body = {
            "id": g.request_id,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": g.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": g.text()},
                    "logprobs": None,
                    "finish_reason": g.finish_reason,
                }
            ],
            "usage": usage(g.prompt_tokens, g.n_tokens),
        }
        self.sent = g.n_tokens
        self.stats.tokens_sent += g.n_tokens
        self._finish()
        await send({"type": "http.response.start", "status": 200, "headers": _JSON_HEADERS})
        await send({"type": "http.response.body", "body": json.dumps(body).encode()})
