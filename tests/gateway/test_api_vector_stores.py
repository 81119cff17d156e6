"""Vector-store search and listing through the SDK, served from FAISS."""

import openai
import pytest


def test_search_returns_attributes_and_content(client):
    page = client.vector_stores.search("sec-10k", query="iPhone net sales", max_num_results=3)
    results = list(page)
    assert len(results) == 3
    first = results[0]
    assert first.content[0].type == "text" and first.content[0].text
    assert first.attributes["ticker"] in ("AAPL", "NVDA")
    assert {"company", "form", "fiscal_year", "source_file"} <= set(first.attributes)
    assert first.filename.endswith(".html")
    assert all(-1.0 <= r.score <= 1.0 for r in results)


@pytest.mark.parametrize("ticker", ["AAPL", "NVDA"])
def test_search_filters_reach_the_retriever(client, ticker):
    results = list(
        client.vector_stores.search(
            "sec-10k",
            query="revenue",
            max_num_results=5,
            filters={
                "type": "and",
                "filters": [
                    {"type": "eq", "key": "ticker", "value": ticker},
                    {"type": "gte", "key": "fiscal_year", "value": 2020},
                ],
            },
        )
    )
    assert len(results) == 5
    assert {r.attributes["ticker"] for r in results} == {ticker}


def test_bad_filter_is_400_naming_the_field(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.vector_stores.search(
            "sec-10k", query="revenue", filters={"type": "like", "key": "ticker", "value": "A"}
        )
    assert caught.value.body["param"].startswith("filters")


def test_unknown_store_is_404(client):
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.search("nope", query="revenue")


def test_list_and_retrieve(client):
    stores = list(client.vector_stores.list())
    assert [s.id for s in stores] == ["sec-10k"]
    assert stores[0].file_counts.completed > 0
    store = client.vector_stores.retrieve("sec-10k")
    assert store.metadata["index_version"]


def test_search_works_without_an_upstream(make_gateway):
    gateway = make_gateway(default_upstream="http://127.0.0.1:9/v1")
    with openai.OpenAI(base_url=gateway.base_url, api_key="x", max_retries=0) as sdk:
        assert list(sdk.vector_stores.search("sec-10k", query="GPU", max_num_results=2))


QUESTION_NAMING_APPLE = "How much did Apple earn from data center GPUs and CUDA?"


def test_a_query_naming_a_company_is_searched_in_its_filings(client):
    results = list(client.vector_stores.search("sec-10k", query=QUESTION_NAMING_APPLE, max_num_results=5))
    assert {r.attributes["ticker"] for r in results} == {"AAPL"}


def test_rewrite_query_false_searches_everything(client):
    results = list(
        client.vector_stores.search(
            "sec-10k", query=QUESTION_NAMING_APPLE, max_num_results=5, rewrite_query=False
        )
    )
    assert "NVDA" in {r.attributes["ticker"] for r in results}  # the GPU passages are NVIDIA's


def test_chat_sources_follow_the_company_the_question_names(client):
    messages = [{"role": "user", "content": QUESTION_NAMING_APPLE}]
    scoped = client.chat.completions.create(model="synthetic-model", messages=messages, max_tokens=2)
    assert {s["ticker"] for s in scoped.model_extra["sources"]} == {"AAPL"}
    unscoped = client.chat.completions.create(
        model="synthetic-model", messages=messages, max_tokens=2, extra_body={"rag": {"infer_filters": False}}
    )
    assert "NVDA" in {s["ticker"] for s in unscoped.model_extra["sources"]}
