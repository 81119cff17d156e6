"""Health, readiness, metrics, request ids and the OpenAPI description."""

import threading

from conftest import MODEL
from support.polling import wait_until


def test_health_and_ready(gateway, http):
    assert http.get(gateway.url + "/health").json() == {"status": "ok"}
    ready = http.get(gateway.url + "/ready")
    assert ready.status_code == 200
    body = ready.json()
    assert (
        body["status"] == "ready"
        and body["index"]["chunks"] > 0
        and body["upstreams"] == {"up": 1, "total": 1}
    )


def test_request_id_is_accepted_and_returned(gateway, http):
    echoed = http.get(gateway.url + "/health", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    generated = http.get(gateway.url + "/health", headers={"X-Request-ID": "bad id with spaces"})
    assert generated.headers["x-request-id"] not in ("", "bad id with spaces")


def metric_values(http, gateway) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample on /metrics, keyed by name and sorted labels."""
    from prometheus_client.parser import text_string_to_metric_families

    text = http.get(gateway.url + "/metrics").text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_count_requests_tokens_and_latencies(client, gateway, upstream, http):
    chat_ok = (
        "rag_gateway_requests_total",
        (("model", MODEL), ("route", "/v1/chat/completions"), ("status", "200")),
    )
    tokens_out = ("rag_gateway_tokens_total", (("direction", "out"), ("model", MODEL)))
    tokens_in = ("rag_gateway_tokens_total", (("direction", "in"), ("model", MODEL)))
    histograms = (
        "rag_gateway_embed_seconds_count",
        "rag_gateway_search_seconds_count",
        "rag_gateway_upstream_ttft_seconds_count",
    )
    in_flight = ("rag_gateway_in_flight_requests", ())
    before = metric_values(http, gateway)

    # Questions no other test asks: a repeated one would be answered by the retrieval cache (no embed/search).
    client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "revenue by metrics test"}], max_tokens=3
    )
    list(
        client.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": "operating income by metrics test"}],
            max_tokens=3,
            stream=True,
        )
    )
    after = metric_values(http, gateway)

    def grew(key: tuple[str, tuple[tuple[str, str], ...]]) -> float:
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert grew(chat_ok) == 2
    assert grew(tokens_out) == 6  # max_tokens=3, twice
    assert grew(tokens_in) > 0
    for histogram in histograms:  # summed over label sets (the TTFT one is per model)
        total = sum(v for (name, _), v in after.items() if name == histogram)
        assert total - sum(v for (name, _), v in before.items() if name == histogram) == 2, histogram
    # The /metrics request itself is in flight while it is answered: that is the baseline.
    assert after[in_flight] == before[in_flight]
    upstream.control.set_faults(first_token_delay_s=3, delay_count=1)
    held = threading.Thread(
        target=client.chat.completions.create,
        kwargs={"model": MODEL, "messages": [{"role": "user", "content": "revenue"}], "max_tokens": 1},
    )
    held.start()
    wait_until(lambda: metric_values(http, gateway)[in_flight] == before[in_flight] + 1, timeout_s=3)
    held.join(timeout=30)
    assert metric_values(http, gateway)[in_flight] == before[in_flight]


def test_openapi_describes_the_endpoints_with_request_models(gateway, http):
    spec = http.get(gateway.url + "/openapi.json").json()
    paths = spec["paths"]
    for path, method in [
        ("/v1/chat/completions", "post"),
        ("/v1/vector_stores/{vector_store_id}/search", "post"),
        ("/v1/vector_stores", "get"),
        ("/v1/models", "get"),
        ("/v1/embeddings", "post"),
        ("/health", "get"),
        ("/ready", "get"),
        ("/metrics", "get"),
    ]:
        assert method in paths[path], path
    schemas = spec["components"]["schemas"]
    chat = schemas["ChatCompletionRequest"]
    assert list(chat["properties"])[:2] == ["messages", "model"]
    assert {"messages", "model"} <= set(chat["required"])
    assert "rag" in chat["properties"] and "RagOptions" in schemas
    assert "VectorStoreSearchRequest" in schemas and "EmbeddingRequest" in schemas
    assert "ErrorResponse" in schemas
    responses = paths["/v1/chat/completions"]["post"]["responses"]
    assert {"400", "401", "404", "413", "429", "502", "503", "504"} <= set(responses)


def test_unknown_model_names_do_not_grow_metric_labels(gateway, http):
    for name in ("gpt-x-1", "gpt-x-2"):
        http.post(
            gateway.base_url + "/chat/completions",
            json={"model": name, "messages": [{"role": "user", "content": "x"}]},
        )
    text = http.get(gateway.url + "/metrics").text
    assert "gpt-x-1" not in text and 'model="unknown",route="/v1/chat/completions",status="404"' in text
