"""Calls to an upstream's /v1/chat/completions with retries that stop once the client got a byte."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx2
import openai
from tenacity import RetryCallState

from gateway.errors import GatewayError
from gateway.http.sse_frames import read_head
from gateway.metrics import Metrics
from gateway.settings import GatewaySettings
from gateway.upstream.failures import (
    FirstTokenTimeout,
    TotalTimeout,
    as_connection_error,
    failure_kind,
    is_unavailable,
    to_gateway_error,
)
from gateway.upstream.registry import Upstream
from gateway.upstream.retry import EmptyUpstreamStream, build_retrying
from gateway.upstream.warmup import WarmupHook

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class OpenedStream:
    """An upstream SSE stream whose first data event has already arrived."""

    response: httpx2.Response
    chunks: AsyncIterator[bytes]
    head: list[bytes]
    rest: bytes
    ttft: float

    async def aclose(self) -> None:
        """Close the HTTP response; if unfinished, the connection is dropped and vLLM aborts the request."""
        await self.response.aclose()


CHAT_PATH = "/chat/completions"


def carries_output(data: bytes) -> bool:
    """Whether a chunk is more than the opening role chunk: content, tool calls, a finish, usage or an error.

    The stream is committed to the client only once such a chunk arrived, so an upstream that fails after
    its role chunk (vLLM sends it with the first token) is still retried.
    """
    if data == b"[DONE]":
        return True
    try:
        chunk = json.loads(data)
    except ValueError:
        return True
    if not isinstance(chunk, dict) or "error" in chunk or chunk.get("object") == "error":
        return True
    choices = chunk.get("choices")
    if not isinstance(choices, list) or not choices:
        return True
    for choice in choices:
        if not isinstance(choice, dict):
            return True
        delta = choice.get("delta")
        delta = delta if isinstance(delta, dict) else {}
        if choice.get("finish_reason") or any(
            delta.get(key) for key in ("content", "tool_calls", "reasoning_content", "function_call")
        ):
            return True
    return False


class UpstreamCaller:
    """Retrying, timed calls to upstreams, with failures mapped to gateway errors."""

    def __init__(self, settings: GatewaySettings, metrics: Metrics, warmup: WarmupHook) -> None:
        self._settings = settings
        self._metrics = metrics
        self._warmup = warmup

    async def complete(self, upstream: Upstream, payload: dict[str, Any]) -> tuple[dict[str, Any], float]:
        """Non-streaming completion: the upstream's JSON body and the upstream time in seconds."""
        model = payload["model"]
        started = time.perf_counter()

        async def once() -> dict[str, Any]:
            # The low-level post sends the validated payload as is (create() would re-transform it).
            response = await upstream.client.post(CHAT_PATH, cast_to=httpx2.Response, body=payload)
            try:
                body = json.loads(response.content)
            except ValueError as exc:
                raise GatewayError(502, "The upstream model server sent an invalid response.") from exc
            if not isinstance(body, dict):
                raise GatewayError(502, "The upstream model server sent an invalid response.")
            return body

        body = await self._with_retries(model, once, self._settings.total_timeout, TotalTimeout)
        elapsed = time.perf_counter() - started
        self._metrics.upstream_ttft_seconds.labels(model).observe(elapsed)
        return body, elapsed

    async def open_stream(self, upstream: Upstream, payload: dict[str, Any]) -> OpenedStream:
        """Open a stream and wait for its first event; retried until then, 504 past the TTFT timeout."""
        model = payload["model"]
        started = time.perf_counter()

        async def once() -> OpenedStream:
            response = await upstream.client.post(
                CHAT_PATH, cast_to=httpx2.Response, body=payload, stream=True
            )
            try:
                chunks = response.aiter_bytes().__aiter__()
                head = await read_head(chunks, carries_output)
                if head is None:
                    raise EmptyUpstreamStream()
            except httpx2.TransportError as exc:
                # Dropped before any output: nothing has reached the client, so this is safe to retry.
                await response.aclose()
                raise EmptyUpstreamStream() from exc
            except BaseException:
                await response.aclose()
                raise
            return OpenedStream(response, chunks, head.events, head.rest, time.perf_counter() - started)

        opened = await self._with_retries(model, once, self._settings.ttft_timeout, FirstTokenTimeout)
        self._metrics.upstream_ttft_seconds.labels(model).observe(opened.ttft)
        return opened

    async def _with_retries(
        self,
        model: str,
        once: Callable[[], Awaitable[T]],
        attempt_timeout: float,
        timeout_error: type[Exception],
    ) -> T:
        s = self._settings

        def on_retry(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            self._metrics.upstream_retries.labels(model).inc()
            logger.info(
                "upstream attempt %d for %s failed (%s); retrying",
                state.attempt_number,
                model,
                failure_kind(exc) if exc else "?",
            )

        retrying = build_retrying(
            retries=s.retries,
            backoff_initial=s.retry_backoff_initial,
            backoff_max=s.retry_backoff_max,
            retry_after_max=s.retry_after_max,
            on_retry=on_retry,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    try:
                        async with asyncio.timeout(attempt_timeout):
                            return await once()
                    except TimeoutError as exc:
                        raise timeout_error() from exc
                    except openai.APITimeoutError as exc:
                        raise as_connection_error(exc) from exc.__cause__
        except GatewayError:
            raise
        except (openai.APIError, EmptyUpstreamStream, FirstTokenTimeout, TotalTimeout) as exc:
            kind = failure_kind(exc)
            self._metrics.upstream_errors.labels(model, kind).inc()
            logger.warning("upstream call for %s failed: %s", model, kind)
            if is_unavailable(exc):
                self._warmup.trigger(kind)
            raise to_gateway_error(
                exc, retry_after=s.unavailable_retry_after, ttft_timeout=s.ttft_timeout
            ) from None
        raise AssertionError("unreachable: tenacity either returns or raises")
