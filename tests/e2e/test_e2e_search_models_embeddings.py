"""Vector-store search, model listing and embeddings through the gateway, with the official SDK."""

from __future__ import annotations

import math
from pathlib import Path

import openai
import pytest
from openai import OpenAI

VECTOR_STORE_ID = "sec-10k"


def test_vector_store_search_with_ticker_and_year_filter_returns_only_that_filing(
    client: OpenAI, manifest_rows: dict[str, dict[str, str]]
) -> None:
    wanted = manifest_rows["AAPL_FY2024_10K.html"]

    page = client.vector_stores.search(
        vector_store_id=VECTOR_STORE_ID,
        query="net sales by product category",
        max_num_results=5,
        filters={
            "type": "and",
            "filters": [
                {"type": "eq", "key": "ticker", "value": "AAPL"},
                {"type": "eq", "key": "fiscal_year", "value": 2024},
            ],
        },
    )
    results = list(page)

    assert 1 <= len(results) <= 5
    for result in results:
        assert result.attributes["ticker"] == "AAPL"
        assert int(result.attributes["fiscal_year"]) == 2024
        assert result.attributes["company"] == wanted["company"]
        assert result.content[0].text.strip()


def test_vector_store_search_without_filter_spans_companies(client: OpenAI) -> None:
    results = list(
        client.vector_stores.search(
            vector_store_id=VECTOR_STORE_ID,
            query="Microsoft cloud revenue and Apple iPhone sales",
            max_num_results=20,
        )
    )

    assert len(results) == 20
    assert {result.attributes["ticker"] for result in results} == {"AAPL", "MSFT"}


def test_models_list_shows_the_served_model(client: OpenAI, served_model: str) -> None:
    models = [model.id for model in client.models.list()]

    assert served_model in models


def test_embeddings_are_unit_vectors_of_the_index_model(client: OpenAI, embedding_model: str) -> None:
    # A model folder is served under its folder name.
    response = client.embeddings.create(
        model=Path(embedding_model).name, input=["Apple net sales", "Microsoft Azure growth"]
    )

    assert len(response.data) == 2
    for item in response.data:
        assert len(item.embedding) == 384  # all-MiniLM-L6-v2
        assert math.isclose(math.sqrt(sum(value * value for value in item.embedding)), 1.0, abs_tol=1e-3)


def test_wrong_api_key_is_refused(gateway_url: str) -> None:
    intruder = OpenAI(base_url=gateway_url, api_key="not-the-key", max_retries=0)

    with pytest.raises(openai.AuthenticationError) as caught:
        intruder.models.list()

    assert caught.value.status_code == 401
    assert set(caught.value.response.json()["error"]) >= {"message", "type", "param", "code"}
