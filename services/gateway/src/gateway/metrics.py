"""Prometheus instruments, one registry per app so several apps can live in one process (tests).

With several worker processes (RAG_WORKERS > 1) the CLI sets PROMETHEUS_MULTIPROC_DIR before the workers
start; each worker then writes its samples there and /metrics, served by any worker, adds them up.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """All gateway instruments."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "rag_gateway_requests",
            "HTTP requests by route, model and status",
            ["route", "model", "status"],
            registry=r,
        )
        self.in_flight = Gauge(
            "rag_gateway_in_flight_requests",
            "Requests being served",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.request_seconds = Histogram(
            "rag_gateway_request_seconds",
            "Time to the end of the response",
            ["route"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.embed_seconds = Histogram(
            "rag_gateway_embed_seconds",
            "Query embedding time per batch",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.embed_batch_size = Histogram(
            "rag_gateway_embed_batch_size",
            "Queries per embedding batch",
            buckets=(1, 2, 4, 8, 16, 32, 64),
            registry=r,
        )
        self.search_seconds = Histogram(
            "rag_gateway_search_seconds", "FAISS search time", buckets=_LATENCY_BUCKETS, registry=r
        )
        self.upstream_ttft_seconds = Histogram(
            "rag_gateway_upstream_ttft_seconds",
            "Upstream time to first byte/token",
            ["model"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.tokens = Counter(
            "rag_gateway_tokens", "Tokens reported by upstreams", ["model", "direction"], registry=r
        )
        self.upstream_errors = Counter(
            "rag_gateway_upstream_errors", "Upstream failures by kind", ["model", "kind"], registry=r
        )
        self.upstream_retries = Counter(
            "rag_gateway_upstream_retries", "Upstream attempts that were retried", ["model"], registry=r
        )
        self.index_swaps = Counter("rag_gateway_index_swaps", "Hot swaps of the search index", registry=r)
        self.retrieval_cache = Counter(
            "rag_gateway_retrieval_cache",
            "Retrieval cache lookups by result (hit, miss)",
            ["result"],
            registry=r,
        )
        self.unsupported_answers = Counter(
            "rag_gateway_unsupported_figure_answers",
            "Answers with at least one figure that no source holds (grounding check)",
            ["model"],
            registry=r,
        )

    def render(self) -> bytes:
        """Text exposition format: this process's registry, or every worker's samples when multiprocess."""
        shared_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if not shared_dir:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=shared_dir)
        return generate_latest(registry)
