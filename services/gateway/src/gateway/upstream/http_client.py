"""The pooled HTTP client under each upstream's openai SDK client.

`aiohttp` (default) is the SDK's own aiohttp transport (`openai.DefaultAioHttpClient`, the `openai[aiohttp]`
extra): its C HTTP parser reads a 64-token stream with about half the CPU of the pure-Python default, and
the relay is the gateway's hottest path (benchmarks/README.md). `httpx` keeps the SDK's default client.
"""

from __future__ import annotations

from typing import Literal

import httpx2
import openai

HttpClientKind = Literal["aiohttp", "httpx"]


def build_http_client(
    kind: HttpClientKind, *, max_connections: int, total_timeout: float, connect_timeout: float
) -> httpx2.AsyncClient:
    """One connection pool for one upstream base URL."""
    limits = httpx2.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
    timeout = httpx2.Timeout(total_timeout, connect=connect_timeout)
    if kind == "aiohttp":
        return openai.DefaultAioHttpClient(limits=limits, timeout=timeout)
    return openai.DefaultAsyncHttpxClient(limits=limits, timeout=timeout)
