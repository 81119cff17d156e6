"""Vector-store search and listing through the SDK, served from FAISS."""

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import openai
import pytest
from support.inprocess import gateway_factory


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


@pytest.mark.parametrize(
    ("clause", "tickers"),
    [
        ({"type": "ne", "key": "ticker", "value": "AAPL"}, {"NVDA"}),
        ({"type": "nin", "key": "ticker", "value": ["NVDA"]}, {"AAPL"}),
    ],
)
def test_each_ticker_clause_changes_the_result(client, clause, tickers):
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


# Both filings of the default index are FY2024, so year clauses are checked on the session's multi-year index
# (tests/support/plugin.py), where each keeps a strict part of it.
HELD = {("AAPL", 2023), ("AAPL", 2024), ("AAPL", 2025), ("MSFT", 2023)}
YEAR_QUERY = "revenue growth and gross margin"


@pytest.fixture(scope="module")
def multi_year(
    upstream_session: Any, multi_year_index_root: Path, embedder: Any
) -> Iterator[dict[str, openai.OpenAI]]:
    """SDK clients of two gateways on the multi-year index, neither inferring filters from the query.

    "deployed" searches it as production does (BM25 and dense fused, then the learned second stage).
    "dense" loads it dense-only with no second stage: a hit's rank is its cosine similarity alone, so a filter
    must return exactly the unfiltered ranking without the chunks it excludes.
    """
    from retriever.index import SearchIndex

    deployed = SearchIndex.load(multi_year_index_root, embedder)
    dense = SearchIndex.load(multi_year_index_root, embedder, hybrid=False)
    with (
        gateway_factory(upstream_session.base_url, multi_year_index_root, embedder, deployed) as start,
        ExitStack() as clients,
    ):
        gateways = {
            "deployed": start(infer_filters=False),
            "dense": start(index=dense, infer_filters=False, reranker="none"),
        }
        yield {
            name: clients.enter_context(
                openai.OpenAI(base_url=gateway.base_url, api_key="unused", max_retries=0, timeout=30)
            )
            for name, gateway in gateways.items()
        }


def year_search(sdk: openai.OpenAI, filters: dict | None = None, k: int = 50) -> list[Any]:
    return list(sdk.vector_stores.search("sec-10k", query=YEAR_QUERY, max_num_results=k, filters=filters))


def filing(result: Any) -> tuple[str, int]:
    return result.attributes["ticker"], int(result.attributes["fiscal_year"])


def chunk(result: Any) -> int:
    return int(result.attributes["chunk_id"])


YEAR_CLAUSES = [
    ({"type": "gte", "key": "fiscal_year", "value": 2024}, {("AAPL", 2024), ("AAPL", 2025)}),
    ({"type": "gt", "key": "fiscal_year", "value": 2024}, {("AAPL", 2025)}),
    ({"type": "lte", "key": "fiscal_year", "value": 2024}, {("AAPL", 2023), ("AAPL", 2024), ("MSFT", 2023)}),
    ({"type": "lt", "key": "fiscal_year", "value": 2024}, {("AAPL", 2023), ("MSFT", 2023)}),
    ({"type": "eq", "key": "fiscal_year", "value": 2024}, {("AAPL", 2024)}),
    ({"type": "ne", "key": "fiscal_year", "value": 2023}, {("AAPL", 2024), ("AAPL", 2025)}),
    (
        {"type": "in", "key": "fiscal_year", "value": [2023, 2025]},
        {("AAPL", 2023), ("AAPL", 2025), ("MSFT", 2023)},
    ),
    ({"type": "nin", "key": "fiscal_year", "value": [2023, 2025]}, {("AAPL", 2024)}),
]
CLAUSE_IDS = [f"{clause['type']}-{clause['value']}" for clause, _ in YEAR_CLAUSES]


@pytest.mark.parametrize(("clause", "kept"), YEAR_CLAUSES, ids=CLAUSE_IDS)
def test_a_year_clause_drops_exactly_the_other_years_hits(multi_year, clause, kept):
    sdk = multi_year["dense"]
    everything = year_search(sdk)
    assert {filing(r) for r in everything} == HELD
    expected = [chunk(r) for r in everything if filing(r) in kept]
    assert 0 < len(expected) < len(everything)

    filtered = year_search(sdk, clause)
    assert len(filtered) == len(everything) and {filing(r) for r in filtered} <= kept
    # The unfiltered ranking minus the excluded years' chunks, in the same order.
    assert [chunk(r) for r in filtered[: len(expected)]] == expected
    returned = {chunk(r) for r in filtered}
    missing = [chunk(r) for r in everything if chunk(r) not in returned]
    assert missing == [chunk(r) for r in everything if filing(r) not in kept]


@pytest.mark.parametrize(("clause", "kept"), YEAR_CLAUSES, ids=CLAUSE_IDS)
def test_a_year_clause_keeps_its_years_on_the_deployed_search(multi_year, clause, kept):
    sdk = multi_year["deployed"]
    assert {filing(r) for r in year_search(sdk)} == HELD
    filtered = year_search(sdk, clause)
    assert len(filtered) == 50 and {filing(r) for r in filtered} == kept


@pytest.mark.parametrize(
    ("ticker", "year", "kept"),
    [
        ("AAPL", {"type": "gte", "key": "fiscal_year", "value": 2024}, {("AAPL", 2024), ("AAPL", 2025)}),
        ("AAPL", {"type": "lt", "key": "fiscal_year", "value": 2024}, {("AAPL", 2023)}),
        ("MSFT", {"type": "gte", "key": "fiscal_year", "value": 2024}, set()),
    ],
)
def test_search_filters_reach_the_retriever(multi_year, ticker, year, kept):
    both = {"type": "and", "filters": [{"type": "eq", "key": "ticker", "value": ticker}, year]}
    results = year_search(multi_year["deployed"], both, k=20)
    assert {filing(r) for r in results} == kept
    assert len(results) == (20 if kept else 0)


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
