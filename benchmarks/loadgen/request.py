"""One streamed chat request and what it measured."""

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
import httpx2
import openai
from openai import AsyncOpenAI
from synthetic_upstream.tokens import check_token_sequence

ClientMode = Literal["parsed", "lines"]


@dataclass(frozen=True, slots=True)
class RequestSpec:
    """What every request of a run sends, and how the client reads the stream.

    ``parsed`` builds the SDK's ``ChatCompletionChunk`` objects (what applications do); ``lines`` reads the
    SDK's raw streaming response and ``json.loads`` each event, about 4x less client CPU per chunk, so the
    client stays out of the way when it shares two cores with the servers it measures.
    """

    model: str
    max_tokens: int = 64
    rag: bool | None = None
    check_sequence: bool = False
    client_mode: ClientMode = "parsed"
    extra_body: dict[str, Any] = field(default_factory=dict)

    def body_extras(self) -> dict[str, Any] | None:
        """``extra_body`` for the SDK: the ``rag`` switch plus any user extras."""
        extras = dict(self.extra_body)
        if self.rag is not None:
            extras["rag"] = {"enabled": self.rag}
        return extras or None


@dataclass(slots=True)
class RequestResult:
    """Timings of one request; seconds, measured with ``perf_counter`` in the client."""

    started: float
    latency_s: float
    ttft_s: float | None = None
    tpot_s: float | None = None
    output_tokens: int = 0
    error: str | None = None
    sequence_ok: bool | None = None
    worker: int = 0

    @property
    def ended(self) -> float:
        """``perf_counter`` time the request finished."""
        return self.started + self.latency_s

    @property
    def ok(self) -> bool:
        """Finished without error and, when checked, with a clean token sequence."""
        return self.error is None and self.sequence_ok is not False


class StreamError(Exception):
    """An ``{"error": ...}`` event inside an otherwise successful stream."""


@dataclass(slots=True)
class _Delta:
    content: str | None
    completion_tokens: int | None


async def _parsed_deltas(client: AsyncOpenAI, spec: RequestSpec, prompt: str) -> AsyncIterator[_Delta]:
    stream = await client.chat.completions.create(
        model=spec.model,
        messages=[{"role": "user", "content": prompt}],
        max_tokens=spec.max_tokens,
        stream=True,
        stream_options={"include_usage": True},
        extra_body=spec.body_extras(),
    )
    async for chunk in stream:
        content = chunk.choices[0].delta.content if chunk.choices else None
        yield _Delta(content, chunk.usage.completion_tokens if chunk.usage is not None else None)


async def _line_deltas(client: AsyncOpenAI, spec: RequestSpec, prompt: str) -> AsyncIterator[_Delta]:
    async with client.chat.completions.with_streaming_response.create(
        model=spec.model,
        messages=[{"role": "user", "content": prompt}],
        max_tokens=spec.max_tokens,
        stream=True,
        stream_options={"include_usage": True},
        extra_body=spec.body_extras(),
    ) as response:
        async for line in response.iter_lines():
            if not line.startswith("data:"):
                continue
            payload = line[5:].strip()
            if payload == "[DONE]":
                # read on to the end of the body so the connection goes back to the pool
                continue
            event = json.loads(payload)
            if "error" in event:
                raise StreamError(str(event["error"].get("code") or "error"))
            choices = event.get("choices")
            usage = event.get("usage")
            yield _Delta(
                choices[0].get("delta", {}).get("content") if choices else None,
                usage.get("completion_tokens") if usage else None,
            )


async def measure_request(client: AsyncOpenAI, spec: RequestSpec, prompt: str) -> RequestResult:
    """Stream one chat completion and time it."""
    started = time.perf_counter()
    first = last = None
    chunks = 0
    usage_tokens: int | None = None
    parts: list[str] = []
    deltas = _line_deltas if spec.client_mode == "lines" else _parsed_deltas
    try:
        async for delta in deltas(client, spec, prompt):
            if delta.completion_tokens is not None:
                usage_tokens = delta.completion_tokens
            if delta.content:
                last = time.perf_counter()
                if first is None:
                    first = last
                chunks += 1
                if spec.check_sequence:
                    parts.append(delta.content)
    except (openai.APIError, httpx.HTTPError, httpx2.HTTPError, StreamError, ValueError) as exc:
        status = getattr(exc, "status_code", None)
        detail = f" {status}" if status else f" {exc}" if isinstance(exc, StreamError) else ""
        return RequestResult(started, time.perf_counter() - started, error=f"{type(exc).__name__}{detail}")
    latency = time.perf_counter() - started
    tokens = usage_tokens if usage_tokens is not None else chunks
    result = RequestResult(started, latency, output_tokens=tokens)
    if first is None:
        result.error = "EmptyStream"
        return result
    result.ttft_s = first - started
    if tokens > 1 and last is not None:
        result.tpot_s = (last - first) / (tokens - 1)
    if spec.check_sequence:
        result.sequence_ok = not check_token_sequence("".join(parts), spec.max_tokens)
    return result
