"""One streamed chat request and what it measured."""

import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import httpx2
import openai
from openai import AsyncOpenAI
from synthetic_upstream.tokens import check_token_sequence


@dataclass(frozen=True, slots=True)
class RequestSpec:
    """What every request of a run sends."""

    model: str
    max_tokens: int = 64
    rag: bool | None = None
    check_sequence: bool = False
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


async def measure_request(client: AsyncOpenAI, spec: RequestSpec, prompt: str) -> RequestResult:
    """Stream one chat completion and time it."""
    started = time.perf_counter()
    first = last = None
    chunks = 0
    usage_tokens: int | None = None
    parts: list[str] = []
    try:
        stream = await client.chat.completions.create(
            model=spec.model,
            messages=[{"role": "user", "content": prompt}],
            max_tokens=spec.max_tokens,
            stream=True,
            stream_options={"include_usage": True},
            extra_body=spec.body_extras(),
        )
        async for chunk in stream:
            if chunk.usage is not None:
                usage_tokens = chunk.usage.completion_tokens
            if chunk.choices and chunk.choices[0].delta.content:
                last = time.perf_counter()
                if first is None:
                    first = last
                chunks += 1
                if spec.check_sequence:
                    parts.append(chunk.choices[0].delta.content)
    except (openai.APIError, httpx.HTTPError, httpx2.HTTPError) as exc:
        status = getattr(exc, "status_code", None)
        return RequestResult(
            started,
            time.perf_counter() - started,
            error=f"{type(exc).__name__}{f' {status}' if status else ''}",
        )
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
