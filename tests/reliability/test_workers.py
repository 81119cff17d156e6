"""RAG_WORKERS=2: two worker processes behind one port, with /metrics adding up both workers' samples."""

from __future__ import annotations

import re

import httpx
import psutil

from reliability.sse_client import chat_body

REQUESTS = 24
CHAT_200 = re.compile(
    r"^rag_gateway_requests_total\{"
    r'model="synthetic-model",route="/v1/chat/completions",status="200"\} (\S+)$',
    re.M,
)


def chat_count(metrics_text: str) -> float:
    found = CHAT_200.search(metrics_text)
    return float(found.group(1)) if found else 0.0


def test_two_workers_serve_one_port_and_report_one_sum(make_gateway, upstream):
    gateway = make_gateway(workers=2)
    children = psutil.Process(gateway.pid).children()
    workers = [c for c in children if "spawn_main" in " ".join(c.cmdline())]
    assert len(workers) == 2, [c.cmdline() for c in children]

    for _ in range(REQUESTS):  # a new connection each, so the kernel spreads them over the workers
        with httpx.Client(timeout=30) as http:
            response = http.post(gateway.base_url + "/chat/completions", json=chat_body(stream=False))
            assert response.status_code == 200, response.text

    # every worker answers /metrics with the same, summed count, whichever one accepts the connection
    counts = set()
    for _ in range(6):
        with httpx.Client(timeout=10) as http:
            counts.add(chat_count(http.get(gateway.url + "/metrics").text))
    assert counts == {float(REQUESTS)}
    assert upstream.control.stats()["completed"] == REQUESTS
