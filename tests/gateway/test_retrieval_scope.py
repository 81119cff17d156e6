"""Retrieval v2 through the gateway: conversation scope, the `retrieval` object, rag.rerank, the cache."""

import openai
import pytest
from conftest import MODEL

FIRST = "What were Apple's total net sales in fiscal 2024?"


def _metric(http, gateway, name: str) -> float:  # type: ignore[no-untyped-def]
    text = http.get(gateway.base_url.removesuffix("/v1") + "/metrics").text
    lines = [line for line in text.splitlines() if line.startswith(name + " ") or line.startswith(name + "{")]
    return sum(float(line.rsplit(" ", 1)[1]) for line in lines)


def test_a_follow_up_is_searched_with_the_earlier_turns_topic_and_its_own_company(client, upstream):
    messages = [
        {"role": "user", "content": FIRST},
        {"role": "assistant", "content": "Apple's total net sales were $391.0 billion [1]."},
        {"role": "user", "content": "What about Nvidia?"},
    ]
    completion = client.chat.completions.create(model=MODEL, messages=messages, max_tokens=2)
    sources = completion.model_extra["sources"]
    assert sources and {s["ticker"] for s in sources} == {"NVDA"}
    retrieval = completion.model_extra["retrieval"]
    assert "topic" in retrieval["carried_from_conversation"]
    assert "net sales" in retrieval["query"] and "Apple" not in retrieval["query"]
    # Nvidia from the follow-up, fiscal 2024 carried from the first question.
    assert retrieval["inferred_filters"] == {
        "type": "and",
        "filters": [
            {"type": "eq", "key": "ticker", "value": "NVDA"},
            {"type": "eq", "key": "fiscal_year", "value": 2024},
        ],
    }
    # The prompt the model sees keeps the conversation: retrieval changed the sources, not the messages.
    sent = upstream.control.last_request()
    assert [m["role"] for m in sent["messages"]] == ["system", "user", "assistant", "user"]


def test_streaming_carries_the_retrieval_plan_in_the_first_chunk(client, upstream):
    stream = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": FIRST}],
        max_tokens=2,
        stream=True,
        extra_body={"rag": {"filters": {"type": "eq", "key": "ticker", "value": "AAPL"}}},
    )
    first = next(iter(stream))
    retrieval = first.model_extra["retrieval"]
    # The client's ticker filter is kept and the question's fiscal year is added to it (AND).
    assert retrieval["inferred_filters"] == {"type": "eq", "key": "fiscal_year", "value": 2024}
    assert retrieval["filters"] == {
        "type": "and",
        "filters": [
            {"type": "eq", "key": "ticker", "value": "AAPL"},
            {"type": "eq", "key": "fiscal_year", "value": 2024},
        ],
    }
    assert {s["fiscal_year"] for s in first.model_extra["sources"]} == {2024}
    for _ in stream:
        pass


def test_an_unavailable_reranker_is_a_400_naming_the_parameter(client, upstream):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": FIRST}],
            max_tokens=2,
            extra_body={"rag": {"rerank": "http"}},
        )
    error = caught.value.body
    assert error["param"] == "rag.rerank" and "http" in error["message"]
    assert upstream.control.stats()["requests"] == []
    # The vector-store search names its own parameter, from the same check.
    with pytest.raises(openai.BadRequestError) as caught:
        client.vector_stores.search(
            "sec-10k",
            query=FIRST,
            ranking_options={"ranker": "http"},  # type: ignore[typeddict-item]
        )
    error = caught.value.body
    assert error["param"] == "ranking_options.ranker" and "'http'" in error["message"]
    assert "fusion" in error["message"]


def test_rerank_none_and_fusion_both_answer_and_may_order_differently(client, upstream):
    orders = {}
    for name in ("none", "fusion"):
        completion = client.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": "Apple iPhone net sales and gross margin in 2024"}],
            max_tokens=2,
            extra_body={"rag": {"rerank": name, "max_num_results": 8}},
        )
        orders[name] = [s["text"][:50] for s in completion.model_extra["sources"]]
    assert orders["none"] and orders["fusion"]
    assert set(orders["none"]) & set(orders["fusion"])


def test_a_repeated_search_is_served_from_the_cache(client, upstream, http, gateway):
    question = "How many full-time employees did Nvidia have in fiscal 2024? (cache test)"
    hits_before = _metric(http, gateway, 'rag_gateway_retrieval_cache_total{result="hit"}')
    searches_before = _metric(http, gateway, "rag_gateway_search_seconds_count")
    answers = [
        client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": q}], max_tokens=2
        ).model_extra["sources"]
        for q in (question, "  " + question.upper() + " ")
    ]
    assert answers[0] == answers[1]
    assert _metric(http, gateway, 'rag_gateway_retrieval_cache_total{result="hit"}') == hits_before + 1
    assert _metric(http, gateway, "rag_gateway_search_seconds_count") == searches_before + 1
