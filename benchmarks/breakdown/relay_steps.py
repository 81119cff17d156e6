"""Client-side cost of one streamed upstream call: openai SDK paths vs raw httpx2, per request."""

from collections.abc import Sequence
from functools import partial

import httpx2
from openai import AsyncOpenAI, DefaultAioHttpClient

try:  # optional: only to compare a C-parser HTTP client with httpx2
    import aiohttp
except ImportError:
    aiohttp = None  # type: ignore[assignment]

from benchmarks.breakdown.timing import StepTiming, time_async

TOKENS = 64


async def relay_steps(base_url: str, model: str, prompts: Sequence[str], repeats: int) -> list[StepTiming]:
    """Each path streams ``TOKENS`` tokens from an upstream with zero TTFT/ITL, ``repeats`` times."""
    sdk = AsyncOpenAI(base_url=base_url, api_key="unused", max_retries=0)
    sdk_aiohttp = AsyncOpenAI(
        base_url=base_url, api_key="unused", max_retries=0, http_client=DefaultAioHttpClient()
    )
    raw = httpx2.AsyncClient(base_url=base_url, timeout=30)
    bodies = [
        {"model": model, "messages": [{"role": "user", "content": p}], "max_tokens": TOKENS, "stream": True}
        for p in prompts
    ]

    async def sdk_chunks(body: dict) -> None:  # type: ignore[type-arg]
        stream = await sdk.chat.completions.create(**body)
        async for _ in stream:
            pass

    async def sdk_lines(body: dict) -> None:  # type: ignore[type-arg]
        # what the gateway does today: with_streaming_response + iter_lines
        rest = {k: v for k, v in body.items() if k not in ("model", "messages", "stream")}
        async with sdk.chat.completions.with_streaming_response.create(
            model=body["model"], messages=body["messages"], stream=True, extra_body=rest
        ) as response:
            async for _ in response.iter_lines():
                pass

    async def sdk_post_bytes(client: AsyncOpenAI, body: dict) -> None:  # type: ignore[type-arg]
        # what the gateway does: the SDK's low-level post, network reads forwarded as they arrive
        response = await client.post("/chat/completions", cast_to=httpx2.Response, body=body, stream=True)
        async for _ in response.aiter_bytes():
            pass
        await response.aclose()

    async def raw_lines(body: dict) -> None:  # type: ignore[type-arg]
        async with raw.stream("POST", "/chat/completions", json=body) as response:
            async for _ in response.aiter_lines():
                pass

    async def raw_bytes(body: dict) -> None:  # type: ignore[type-arg]
        async with raw.stream("POST", "/chat/completions", json=body) as response:
            async for _ in response.aiter_raw():
                pass

    session = aiohttp.ClientSession(base_url=base_url.rstrip("/") + "/") if aiohttp is not None else None

    async def aiohttp_chunks(body: dict) -> None:  # type: ignore[type-arg]
        assert session is not None
        async with session.post("chat/completions", json=body) as response:
            async for _ in response.content.iter_any():
                pass

    paths = {
        "openai SDK create(stream) + parse chunks (load generator)": sdk_chunks,
        "openai SDK with_streaming_response + iter_lines (first gateway)": sdk_lines,
        "openai SDK post + aiter_bytes, httpx2 transport (gateway, RAG_UPSTREAM_HTTP_CLIENT=httpx)": partial(
            sdk_post_bytes, sdk
        ),
        "openai SDK post + aiter_bytes, aiohttp transport (gateway default)": partial(
            sdk_post_bytes, sdk_aiohttp
        ),
        "httpx2 stream + aiter_lines": raw_lines,
        "httpx2 stream + aiter_raw (forward network reads)": raw_bytes,
    }
    if session is not None:
        paths["aiohttp post + iter_any (C HTTP parser)"] = aiohttp_chunks
    timings = []
    cycle = [bodies[i % len(bodies)] for i in range(repeats)]
    async with sdk, sdk_aiohttp, raw:
        for name, path in paths.items():
            await path(bodies[0])
            timings.append(await time_async(name, [partial(path, b) for b in cycle]))
    if session is not None:
        await session.close()
    return timings
