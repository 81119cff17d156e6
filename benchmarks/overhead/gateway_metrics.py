"""Deltas of the gateway's Prometheus histograms over one run: where its time went."""

import httpx
from prometheus_client.parser import text_string_to_metric_families

_HISTOGRAMS = {
    "embed_ms": "rag_gateway_embed_seconds",
    "embed_batch": "rag_gateway_embed_batch_size",
    "search_ms": "rag_gateway_search_seconds",
    "upstream_ttft_ms": "rag_gateway_upstream_ttft_seconds",
    "request_ms": "rag_gateway_request_seconds",
}


def scrape(root_url: str) -> dict[str, float]:
    """Every ``*_sum`` and ``*_count`` sample of ``/metrics``, summed over labels; empty if unreachable."""
    try:
        response = httpx.get(root_url + "/metrics", timeout=5.0)
    except httpx.HTTPError:
        return {}
    if response.status_code != 200:
        return {}
    totals: dict[str, float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name.endswith(("_sum", "_count")):
                totals[sample.name] = totals.get(sample.name, 0.0) + sample.value
    return totals


def breakdown(before: dict[str, float], after: dict[str, float]) -> dict[str, float | None]:
    """Mean per observation of each histogram between two scrapes (ms for timings)."""
    means: dict[str, float | None] = {}
    for key, name in _HISTOGRAMS.items():
        count = after.get(f"{name}_count", 0.0) - before.get(f"{name}_count", 0.0)
        total = after.get(f"{name}_sum", 0.0) - before.get(f"{name}_sum", 0.0)
        scale = 1000.0 if key.endswith("_ms") else 1.0
        means[key] = scale * total / count if count else None
        means[f"{key.removesuffix('_ms')}_count"] = count
    return means
