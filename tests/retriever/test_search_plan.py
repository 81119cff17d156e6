"""The search plan of a conversation: filters combined with inference, report years, recency, follow-ups."""

import numpy as np
import pytest
from retriever.filters import all_of, filter_keys, parse_filter, required_values, to_dict
from retriever.hits import ChunkMetadata
from retriever.item_terms import question_items
from retriever.query_analysis import QueryScope
from retriever.rerank.base import CandidateSet
from retriever.rerank.features import FEATURES
from retriever.rerank.learned import FusionWeights, LearnedFusion
from retriever.search_plan import plan_search


def _meta(ticker: str, company: str, year: int, form: str = "10-K") -> ChunkMetadata:
    unknown = (None,) * 6  # period end, filing date, accession, item, item title, page
    return ChunkMetadata(f"{ticker}_{year}", ticker, company, "", form, year, *unknown, 0, 1, None, "f")


@pytest.fixture(scope="module")
def scope() -> QueryScope:
    rows = [_meta("AAPL", "Apple Inc.", y) for y in (2021, 2022, 2023, 2024, 2025)]
    rows += [_meta("MSFT", "Microsoft Corporation", y) for y in (2021, 2022, 2023)]
    rows += [_meta("MSFT", "Microsoft Corporation", 2024, "10-Q")]
    return QueryScope.for_metadata(rows)


def _filter(scope: QueryScope, turns: list[str], explicit: dict | None = None) -> dict | None:  # type: ignore[type-arg]
    plan = plan_search(scope, turns, parse_filter(explicit))
    return to_dict(plan.filter) if plan.filter is not None else None


def eq(key: str, value: object) -> dict[str, object]:
    return {"type": "eq", "key": key, "value": value}


def test_filter_helpers_read_what_a_filter_pins() -> None:
    f = parse_filter(
        {"type": "and", "filters": [eq("ticker", "AAPL"), {"type": "gte", "key": "page", "value": 3}]}
    )
    assert filter_keys(f) == {"ticker", "page"}
    assert required_values(f, "ticker") == ("AAPL",)
    assert required_values(parse_filter({"type": "or", "filters": [eq("ticker", "AAPL")]}), "ticker") is None
    both = parse_filter({"type": "and", "filters": [
        {"type": "in", "key": "ticker", "value": ["AAPL", "MSFT"]}, eq("ticker", "MSFT")]})  # fmt: skip
    assert required_values(both, "ticker") == ("MSFT",)
    assert all_of(None, None) is None and all_of(f) is f
    assert to_dict(parse_filter(to_dict(f))) == to_dict(f)  # type: ignore[arg-type]


def test_the_client_filter_is_anded_with_the_year_and_form_the_question_names(scope: QueryScope) -> None:
    got = _filter(scope, ["What were net sales in the fiscal 2022 annual report?"], eq("ticker", "AAPL"))
    assert got == {"type": "and", "filters": [eq("ticker", "AAPL"), {"type": "and", "filters": [
        eq("fiscal_year", 2022), eq("form", "10-K")]}]}  # fmt: skip
    # A client filter on a period key leaves the period alone; the company the question names is still added.
    got = _filter(scope, ["Apple's net sales in fiscal 2022?"], eq("fiscal_year", 2024))
    assert got == {"type": "and", "filters": [eq("fiscal_year", 2024), eq("ticker", "AAPL")]}
    # Tickers constrained in a way that cannot be enumerated: nothing is inferred.
    assert _filter(scope, ["net sales in 2022"], {"type": "ne", "key": "ticker", "value": "AAPL"}) == {
        "type": "ne", "key": "ticker", "value": "AAPL"}  # fmt: skip


@pytest.mark.parametrize(
    ("question", "year"),
    [
        ("What capital spending did Apple's fiscal 2021 annual report expect for 2022?", 2021),
        ("The restructuring Apple announced in March 2022, as described in the 2021 10-K", 2021),
        ("What did Apple say in its 2023 filing about 2024 and 2025?", 2023),
        ("Apple's FY22 10-K: revenue outlook for 2023", 2022),
        ("In Apple's 10-K for fiscal 2022, what was said about 2024?", 2022),
        ("What were Apple's net sales in 2022 and 2023?", 2023),
    ],
)
def test_the_year_attached_to_the_report_wins(scope: QueryScope, question: str, year: int) -> None:
    got = _filter(scope, [question])
    assert got is not None and eq("fiscal_year", year) in got["filters"]


def test_no_period_named_means_the_latest_annual_report(scope: QueryScope) -> None:
    latest = [eq("ticker", "MSFT"), eq("fiscal_year", 2023), eq("form", "10-K")]
    assert _filter(scope, ["Who are Microsoft's executive officers?"]) == {"type": "and", "filters": latest}
    both = _filter(scope, ["Compare Apple and Microsoft on employees"])
    assert both is not None
    assert {"type": "or", "filters": [
        {"type": "and", "filters": [eq("ticker", "AAPL"), eq("fiscal_year", 2025)]},
        {"type": "and", "filters": [eq("ticker", "MSFT"), eq("fiscal_year", 2023)]},
    ]} in both["filters"]  # fmt: skip
    # An undated past event ("What was ...", "Why did ...") presumes no filing: every year of the company.
    assert _filter(scope, ["Why did Microsoft record an impairment?"]) == eq("ticker", "MSFT")
    # A year the index does not hold is no reason to pick the latest: only the company stays.
    assert _filter(scope, ["Apple's revenue in 2015"]) == eq("ticker", "AAPL")


def test_follow_ups_inherit_what_they_leave_open(scope: QueryScope) -> None:
    first = "What were Apple's total net sales in fiscal 2023?"
    plan = plan_search(scope, [first, "And the year before?"])
    assert to_dict(plan.filter) == {"type": "and", "filters": [eq("ticker", "AAPL"), eq("fiscal_year", 2022)]}
    assert plan.query.startswith(first) and plan.carried == ("companies", "fiscal_year", "topic")
    plan = plan_search(scope, [first, "What about Microsoft?"])
    assert to_dict(plan.filter) == {"type": "and", "filters": [eq("ticker", "MSFT"), eq("fiscal_year", 2023)]}
    assert "Apple" not in plan.query and "net sales" in plan.query
    # A follow-up with its own topic keeps the company but searches its own words.
    plan = plan_search(scope, [first, "How much did it spend on research and development in fiscal 2024?"])
    assert plan.query.startswith("How much") and "companies" in plan.carried
    assert eq("fiscal_year", 2024) in to_dict(plan.filter)["filters"]  # type: ignore[index]
    # Without inference nothing is carried.
    assert plan_search(scope, [first, "What about Microsoft?"], infer=False).filter is None


@pytest.mark.parametrize(
    ("question", "items"),
    [
        ("according to its MD&A", ("7",)),
        ("what do the risk factors say", ("1A",)),
        ("any legal proceedings?", ("3",)),
        ("per the cash flow statement", ("8",)),
        ("the market for the registrant\u2019s common equity", ("5",)),
        ("Item 7A of the 10-K", ("7A",)),
        ("how much revenue did it report", ()),
        ("business segments and risk", ()),
    ],
)
def test_named_sections_map_to_items(question: str, items: tuple[str, ...]) -> None:
    assert question_items(question) == items


def test_the_learned_fusion_scores_by_its_coefficients() -> None:
    n = len(FEATURES)
    coef = [0.0] * n
    coef[FEATURES.index("year_match")] = 2.0
    weights = FusionWeights(features=list(FEATURES), mean=[0.0] * n, scale=[1.0] * n, coef=coef, intercept=-1)
    features = {name: np.zeros(3, dtype=np.float32) for name in FEATURES}
    features["year_match"] = np.array([0, 1, 0], dtype=np.float32)
    metas = [_meta("AAPL", "Apple Inc.", 2024)] * 3
    candidates = CandidateSet("q", np.arange(3), ["a", "b", "c"], metas, features)
    assert LearnedFusion(weights).score(candidates).tolist() == [-1.0, 1.0, -1.0]
    with pytest.raises(ValueError, match="same length"):
        FusionWeights(features=list(FEATURES), mean=[0.0], scale=[1.0] * n, coef=coef, intercept=0)
