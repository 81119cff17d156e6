"""RAG_WORKERS=2: two worker processes behind one port, with /metrics adding up both workers' samples."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import psutil

from reliability.sse_client import MODEL, chat_body

# The second worker may still be loading the embedder when the first is healthy: keep sending until then.
SPREAD_TIMEOUT_S = 120
CHAT_200 = {"model": MODEL, "route": "/v1/chat/completions", "status": "200"}
METRICS_DIR = re.compile(r"metrics in ([^\s\"]+)")


def chat_count(metrics_text: str) -> float:
    """The summed chat 200 counter as /metrics reports it."""
    from prometheus_client.parser import text_string_to_metric_families

    return sum(
        sample.value
        for family in text_string_to_metric_families(metrics_text)
        for sample in family.samples
        if sample.name == "rag_gateway_requests_total" and sample.labels == CHAT_200
    )


def served_by(metrics_dir: Path, pid: int) -> float:
    """Chat 200s one worker counted, read from its own multiprocess sample file (counter_<pid>.db)."""
    from prometheus_client.multiprocess import MultiProcessCollector

    files = [str(path) for path in metrics_dir.glob(f"counter_{pid}.db")]
    return sum(
        sample.value
        for metric in MultiProcessCollector.merge(files, accumulate=True)
        for sample in metric.samples
        if sample.name == "rag_gateway_requests_total" and sample.labels == CHAT_200
    )


def test_two_workers_serve_one_port_and_report_one_sum(make_gateway, upstream):
    gateway = make_gateway(workers=2)
    children = psutil.Process(gateway.pid).children()
    workers = [c.pid for c in children if "spawn_main" in " ".join(c.cmdline())]
    assert len(workers) == 2, [c.cmdline() for c in children]
    found = METRICS_DIR.search(gateway.logs())
    assert found, gateway.logs()[-2000:]
    metrics_dir = Path(found.group(1))

    # A new connection each, until the kernel has handed some to each worker (it usually takes a few).
    sent = 0
    spread_deadline = time.monotonic() + SPREAD_TIMEOUT_S
    while time.monotonic() < spread_deadline and not all(served_by(metrics_dir, pid) for pid in workers):
        with httpx.Client(timeout=30) as http:
            response = http.post(gateway.base_url + "/chat/completions", json=chat_body(stream=False))
            assert response.status_code == 200, response.text
        sent += 1
    # A worker counts a request once its response has gone out, a moment after the client has read it.
    deadline = time.monotonic() + 10
    per_worker = {pid: served_by(metrics_dir, pid) for pid in workers}
    while sum(per_worker.values()) < sent and time.monotonic() < deadline:
        time.sleep(0.05)
        per_worker = {pid: served_by(metrics_dir, pid) for pid in workers}
    assert all(per_worker.values()), f"one worker served all {sent} requests: {per_worker}"
    assert sum(per_worker.values()) == sent

    # every worker answers /metrics with the same, summed count, whichever one accepts the connection
    counts = set()
    for _ in range(6):
        with httpx.Client(timeout=10) as http:
            counts.add(chat_count(http.get(gateway.url + "/metrics").text))
    assert counts == {float(sent)}
    assert upstream.control.stats()["completed"] == sent
