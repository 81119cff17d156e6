"""Closed-loop streaming load against a gateway process: every stream checked token by token, TTFT and RSS
sampled, all bounded in time."""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass, field

import httpx
from synthetic_upstream.tokens import check_token_sequence

from reliability.gateway_process import GatewayProcess
from reliability.sse_client import StreamResult, chat_body, stream_chat

QUESTIONS = (
    "What was Acme's revenue in fiscal 2024?",
    "Which supplier risk does Beta Industries describe?",
    "How did anvil sales develop?",
    "What are the main risk factors?",
)


@dataclass
class LoadReport:
    """What a load run saw."""

    clients: int
    seconds: float
    tokens: int
    streams: int = 0
    failures: list[str] = field(default_factory=list)
    ttft_s: list[float] = field(default_factory=list)
    rss: list[tuple[float, int]] = field(default_factory=list)

    def record(self, result: StreamResult) -> None:
        self.streams += 1
        problems = []
        if result.status != 200:
            problems.append(f"status {result.status}: {result.body[:200]!r}")
        else:
            if not result.done:
                problems.append("no [DONE]")
            if result.errors:
                problems.append(f"error frames {result.errors}")
            if result.events_after_done:
                problems.append(f"{result.events_after_done} events after [DONE]")
            problems += check_token_sequence(result.content, self.tokens)
        if problems:
            self.failures.append("; ".join(problems))
        elif result.ttft_s is not None:
            self.ttft_s.append(result.ttft_s)

    def percentile(self, q: float) -> float:
        """TTFT percentile in seconds (q in 0..100)."""
        return statistics.quantiles(self.ttft_s, n=100, method="inclusive")[int(q) - 1]

    def rss_window(self, start_s: float, end_s: float) -> float:
        """Mean RSS (bytes) of the samples taken between `start_s` and `end_s` after the start."""
        window = [rss for at, rss in self.rss if start_s <= at < end_s]
        return statistics.fmean(window)

    def rss_growth(self, window_s: float) -> float:
        """Relative growth of the mean RSS from the first to the last `window_s` seconds."""
        first = self.rss_window(0, window_s)
        last = self.rss_window(self.seconds - window_s, self.seconds + 1)
        return (last - first) / first

    def summary(self) -> str:
        rps = self.streams / self.seconds
        return (
            f"{self.clients} clients x {self.seconds:.0f} s: {self.streams} streams ({rps:.0f}/s), "
            f"{len(self.failures)} failures, TTFT p50 {self.percentile(50) * 1000:.0f} ms "
            f"p95 {self.percentile(95) * 1000:.0f} ms, RSS {self.rss[0][1] / 2**20:.0f} -> "
            f"{self.rss[-1][1] / 2**20:.0f} MiB"
        )


async def _client(http: httpx.AsyncClient, url: str, number: int, until: float, report: LoadReport) -> None:
    sent = 0
    while time.monotonic() < until:
        body = chat_body(QUESTIONS[(number + sent) % len(QUESTIONS)], max_tokens=report.tokens)
        sent += 1
        begun = time.monotonic()
        try:
            report.record(await stream_chat(http, url, body))
        except httpx.HTTPError as exc:
            report.streams += 1
            report.failures.append(f"{type(exc).__name__} after {time.monotonic() - begun:.2f} s: {exc!r}")


async def _sample_rss(gateway: GatewayProcess, started: float, until: float, report: LoadReport) -> None:
    while time.monotonic() < until:
        report.rss.append((time.monotonic() - started, gateway.rss_bytes()))
        await asyncio.sleep(0.5)


async def run_load(gateway: GatewayProcess, *, clients: int, seconds: float, tokens: int) -> LoadReport:
    """`clients` concurrent streaming clients for `seconds`; each client starts a new stream when one ends."""
    report = LoadReport(clients, seconds, tokens)
    limits = httpx.Limits(max_connections=clients + 10, max_keepalive_connections=clients + 10)
    async with httpx.AsyncClient(timeout=httpx.Timeout(300, connect=30), limits=limits) as http:
        started = time.monotonic()
        until = started + seconds
        sampler = asyncio.create_task(_sample_rss(gateway, started, until, report))
        await asyncio.gather(*(_client(http, gateway.url, n, until, report) for n in range(clients)))
        await sampler
    return report
