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
    # cosine similarities of normalised vectors (the order is the reranker's, not the score's)
    assert all(0.0 < r.score <= 1.0 for r in results)


def test_score_threshold_keeps_some_hits_and_drops_others(client):
    query = "iPhone net sales"
    unfiltered = list(client.vector_stores.search("sec-10k", query=query, max_num_results=8))
    threshold = (unfiltered[0].score + unfiltered[-1].score) / 2
    kept = list(
        client.vector_stores.search(
            "sec-10k", query=query, max_num_results=8, ranking_options={"score_threshold": threshold}
        )
    )
    assert 0 < len(kept) < len(unfiltered)
    assert all(r.score >= threshold for r in kept)
    assert [r.file_id for r in kept] == [r.file_id for r in unfiltered if r.score >= threshold]
    assert [r.content[0].text for r in kept] == [
        r.content[0].text for r in unfiltered if r.score >= threshold
    ]


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


@pytest.mark.parametrize(
    ("clause", "tickers"),
    [
        # Both filings are FY2024: a year clause keeps all or nothing, a ticker clause halves the index.
        ({"type": "gt", "key": "fiscal_year", "value": 2024}, set()),
        ({"type": "lte", "key": "fiscal_year", "value": 2024}, {"AAPL", "NVDA"}),
        ({"type": "ne", "key": "ticker", "value": "AAPL"}, {"NVDA"}),
        ({"type": "nin", "key": "ticker", "value": ["NVDA"]}, {"AAPL"}),
    ],
)
def test_each_filter_clause_changes_the_result(client, clause, tickers):
    def search(filters=None):
        return list(
            client.vector_stores.search(
                "sec-10k", query="revenue growth and gross margin", max_num_results=20, filters=filters
            )
        )

    everything = search()
    assert {r.attributes["ticker"] for r in everything} == {"AAPL", "NVDA"}
    filtered = search({"type": "and", "filters": [clause]})
    assert {r.attributes["ticker"] for r in filtered} == tickers


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
