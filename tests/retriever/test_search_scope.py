"""Retrieval v2 on real filings: which filing and Item the top hits come from, per query-understanding class.

The index holds three Apple years (FY2023 PDF, FY2024 and FY2025 HTML) and Microsoft's FY2023 10-K, so a
wrong year, a wrong company or a wrong section shows in the hits' metadata. The questions were written for
these tests, not taken from an eval set.
"""

from collections.abc import Sequence
from pathlib import Path

import pytest
from retriever.filters import parse_filter
from retriever.hits import Hit
from retriever.index import SearchIndex

K = 5


@pytest.fixture(scope="module")
def index(embedder, multi_year_index_root: Path) -> SearchIndex:  # type: ignore[no-untyped-def]
    # The session's multi-year index (tests/support/plugin.py), which the gateway's filter tests also serve.
    return SearchIndex.load(multi_year_index_root, embedder)


def search(index: SearchIndex, turns: Sequence[str], filters: dict | None = None, **options) -> list[Hit]:  # type: ignore[no-untyped-def,type-arg]
    plan = index.plan(list(turns), parse_filter(filters), infer=options.pop("infer", True))
    return index.search(
        plan.query,
        k=options.pop("k", K),
        filters=plan.filter,
        items=plan.items,
        analysis=plan.analysis,
        **options,
    )


def filings(hits: list[Hit]) -> set[tuple[str, int | None]]:
    return {(h.metadata.ticker, h.metadata.fiscal_year) for h in hits}


def items(hits: list[Hit]) -> list[str | None]:
    return [h.metadata.item for h in hits]


def test_an_explicit_filter_keeps_the_year_the_question_names(index: SearchIndex) -> None:
    question = ["What were total net sales in fiscal 2024?"]
    ticker = {"type": "eq", "key": "ticker", "value": "AAPL"}
    assert filings(search(index, question, ticker)) == {("AAPL", 2024)}
    # Without inference the same filter mixes Apple's years: what the client used to get.
    assert len(filings(search(index, question, ticker, infer=False, rerank=False))) > 1
    # A client filter on the key itself wins: inference never overrides what the client constrained.
    explicit_year = {"type": "and", "filters": [ticker, {"type": "eq", "key": "fiscal_year", "value": 2025}]}
    assert filings(search(index, question, explicit_year)) == {("AAPL", 2025)}


def test_the_year_attached_to_the_report_wins_over_other_years(index: SearchIndex) -> None:
    hits = search(index, ["What capital expenditures did Apple's fiscal 2023 annual report expect for 2024?"])
    assert filings(hits) == {("AAPL", 2023)}
    hits = search(index, ["How were Apple's share repurchases in 2023 described in its 2024 10-K?"])
    assert filings(hits) == {("AAPL", 2024)}


def test_a_question_with_no_year_is_answered_from_the_latest_filing(index: SearchIndex) -> None:
    assert filings(search(index, ["Who are Apple's executive officers?"])) == {("AAPL", 2025)}
    assert filings(search(index, ["What does Microsoft say about competition?"])) == {("MSFT", 2023)}


@pytest.mark.parametrize(
    ("question", "item"),
    [
        ("What does Apple's MD&A say about gross margin in fiscal 2024?", "7"),
        ("What does Apple list in its risk factors in the 2024 10-K?", "1A"),
        ("Are there legal proceedings Apple describes in fiscal 2024?", "3"),
        ("What does the market for the registrant's common equity section of Apple's 2024 10-K say?", "5"),
    ],
)
def test_a_named_section_ranks_first(index: SearchIndex, question: str, item: str) -> None:
    hits = search(index, [question])
    assert items(hits)[:3] == [item] * 3, [(h.metadata.item, h.text[:60]) for h in hits]
    assert filings(hits) == {("AAPL", 2024)}


def test_a_follow_up_keeps_company_and_topic_and_moves_the_year(index: SearchIndex) -> None:
    first = "What were Apple's total net sales in fiscal 2024?"
    hits = search(index, [first, "And how did that change the year before?"])
    assert filings(hits) == {("AAPL", 2023)}
    assert any("net sales" in h.text.lower() for h in hits)
    # Only the last message, as before: nothing scopes the search, and which filing a contentless question
    # lands on is the ranking's accident (it was one Microsoft page on one run, mixed filings on another).
    alone = ["And how did that change the year before?"]
    assert index.plan(alone).filter is None
    assert filings(search(index, alone, rerank=False)) != {("AAPL", 2023)}


def test_a_follow_up_naming_another_company_keeps_the_topic_and_section(index: SearchIndex) -> None:
    turns = ["What are the main risk factors in Apple's 2023 10-K?", "What about Microsoft?"]
    plan = index.plan(turns)
    assert "risk factors" in plan.query and "Apple" not in plan.query
    hits = search(index, turns)
    assert filings(hits) == {("MSFT", 2023)}
    assert items(hits)[:3] == ["1A"] * 3


def test_explain_reports_each_stage(index: SearchIndex) -> None:
    hits = search(index, ["What were Apple's total net sales in fiscal 2024?"], explain=True)
    why = hits[0].explanation
    assert why is not None and why["first_stage_rank"] >= 1 and why["rrf_by_ranking"]
    assert why["reranker"] == "fusion" and "top_features" in why
    assert search(index, ["Apple net sales 2024"])[0].explanation is None


@pytest.mark.parametrize(
    "question", ["Microsoft cash and cash equivalents", "What was Microsoft's gross margin?"]
)
def test_an_unfiltered_search_still_favours_the_company_the_question_names(
    index: SearchIndex, question: str
) -> None:
    """With inference off and no filter, the named company's filing ranks as a soft scope beside the rest
    (three Apple filings answer the same words)."""
    assert {h.metadata.ticker for h in search(index, [question], infer=False)} == {"MSFT"}
    # Soft, not a filter: a question naming no company is searched over everything, as before.
    assert len({h.metadata.ticker for h in index.search("What was the gross margin?", k=20)}) > 1


@pytest.mark.parametrize(
    "question",
    ["What were Apple's total assets at the end of fiscal 2023?", "Apple fiscal 2023 net sales by category"],
)
def test_no_page_fills_more_than_two_hits(index: SearchIndex, question: str) -> None:
    """A statement page cut into several chunks ranks them together; the hits hold at most two of them, so the
    next pages (where evidence also lies) reach the top."""
    hits = search(index, [question], k=10)
    pages = [(h.metadata.doc_id, h.metadata.page) for h in hits if h.metadata.page is not None]
    assert pages and max(pages.count(p) for p in pages) <= 2
