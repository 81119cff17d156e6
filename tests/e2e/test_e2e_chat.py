"""Chat completions through the gateway to real vLLM, answered from real filings."""

from __future__ import annotations

from typing import Any

from openai import OpenAI

QUESTION = "What were Apple's total net sales in fiscal year 2024?"
# Short answers keep the suite fast on CPU; correctness of the wiring does not need long ones.
MAX_TOKENS = 48


def assert_sources_match_manifest(
    sources: list[dict[str, Any]], manifest_rows: dict[str, dict[str, str]]
) -> None:
    """Every source names a filing of the manifest, with that filing's metadata, numbered from 1."""
    assert sources, "the answer carries no sources"
    filings = {(row["ticker"], int(row["fiscal_year"])): row for row in manifest_rows.values()}
    assert [source["index"] for source in sources] == list(range(1, len(sources) + 1))
    for source in sources:
        row = filings.get((source["ticker"], source["fiscal_year"]))
        assert row is not None, f"source {source['index']} names no e2e filing: {source}"
        assert source["company"] == row["company"]
        assert int(source["cik"]) == int(row["cik"])
        assert source["form"] == row["form"]
        assert source["period_end"] == row["period_end"]
        assert source["text"].strip()


def test_answer_comes_with_sources_from_the_manifest(
    client: OpenAI, served_model: str, manifest_rows: dict[str, dict[str, str]]
) -> None:
    reply = client.chat.completions.create(
        model=served_model, messages=[{"role": "user", "content": QUESTION}], max_tokens=MAX_TOKENS
    )

    assert reply.model == served_model
    assert reply.choices[0].message.content.strip()
    assert reply.choices[0].finish_reason in {"stop", "length"}
    assert reply.usage is not None and reply.usage.prompt_tokens > 0
    assert_sources_match_manifest(reply.model_extra["sources"], manifest_rows)


def test_streamed_answer_sends_sources_first_then_text(
    client: OpenAI, served_model: str, manifest_rows: dict[str, dict[str, str]]
) -> None:
    stream = client.chat.completions.create(
        model=served_model,
        messages=[{"role": "user", "content": QUESTION}],
        max_tokens=MAX_TOKENS,
        stream=True,
    )
    chunks = list(stream)

    assert chunks[0].model_extra.get("sources"), "the first chunk should carry the sources"
    assert_sources_match_manifest(chunks[0].model_extra["sources"], manifest_rows)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    assert text.strip()
    finishes = [
        chunk.choices[0].finish_reason for chunk in chunks if chunk.choices and chunk.choices[0].finish_reason
    ]
    assert finishes in (["stop"], ["length"])


def test_rag_filter_limits_sources_to_one_filing(
    client: OpenAI, served_model: str, manifest_rows: dict[str, dict[str, str]]
) -> None:
    reply = client.chat.completions.create(
        model=served_model,
        messages=[{"role": "user", "content": "What are the main risk factors?"}],
        max_tokens=16,
        extra_body={
            "rag": {
                "max_num_results": 3,
                "filters": {
                    "type": "and",
                    "filters": [
                        {"type": "eq", "key": "ticker", "value": "AAPL"},
                        {"type": "eq", "key": "fiscal_year", "value": 2022},
                    ],
                },
            }
        },
    )

    sources = reply.model_extra["sources"]
    assert_sources_match_manifest(sources, manifest_rows)
    assert 1 <= len(sources) <= 3
    assert {(source["ticker"], source["fiscal_year"]) for source in sources} == {("AAPL", 2022)}


def test_rag_can_be_turned_off(client: OpenAI, served_model: str) -> None:
    reply = client.chat.completions.create(
        model=served_model,
        messages=[{"role": "user", "content": "Say hello."}],
        max_tokens=8,
        extra_body={"rag": {"enabled": False}},
    )

    assert reply.choices[0].message.content is not None
    assert not reply.model_extra.get("sources")
