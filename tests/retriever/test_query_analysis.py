"""Query analysis: the issuers, fiscal year and form a question names, and the filter they imply."""

from retriever.filters import parse_filter
from retriever.hits import ChunkMetadata
from retriever.query_analysis import Catalog, QueryAnalyzer, QueryScope, filter_for, issuer_names


def _analyzer() -> QueryAnalyzer:
    return QueryAnalyzer.from_names([("PFE", "Pfizer Inc."), ("KO", "The Coca-Cola Company")], issuer_names())


def _meta(ticker: str, company: str, year: int, form: str = "10-K") -> ChunkMetadata:
    unknown = (None,) * 6  # period end, filing date, accession, item, item title, page
    return ChunkMetadata(f"{ticker}_{year}", ticker, company, "", form, year, *unknown, 0, 1, None, "f")


def test_query_analysis_finds_company_year_and_form() -> None:
    analyzer = _analyzer()
    a = analyzer.analyze("What is Coca Cola's FY2017 ROA, using FY2016 and FY2017 total assets?")
    assert a.tickers == ("KO",) and a.fiscal_year == 2017
    assert analyzer.analyze("Did Pepsico raise guidance as of FY2023Q1?").tickers == ("PEP",)
    assert analyzer.analyze("What was the key agenda of AMCOR's 8k filing?").form == "8-K"
    # Common words that are also company names only count when capitalised as a name.
    assert analyzer.analyze("How many square feet does the block of stores cover in 2022?").tickers == ()
    assert analyzer.analyze("As of FY 2021, what will Verizon pay retirees in 2024?").fiscal_year == 2021


def test_filter_falls_back_to_later_filing_and_drops_unknown_years() -> None:
    catalog = Catalog(frozenset({("PFE", 2021, "10-K"), ("PFE", 2023, "10-Q")}))
    analyzer = _analyzer()
    f = filter_for(analyzer.analyze("Did Pfizer's net income rise in 2019?"), catalog)
    assert f == {
        "type": "and",
        "filters": [
            {"type": "eq", "key": "ticker", "value": "PFE"},
            {"type": "eq", "key": "fiscal_year", "value": 2021},
        ],
    }
    assert filter_for(analyzer.analyze("Pfizer in FY2030"), catalog) == {
        "type": "eq",
        "key": "ticker",
        "value": "PFE",
    }
    assert filter_for(analyzer.analyze("Revenue in FY2021?"), catalog) is None
    assert parse_filter(f) is not None


def test_scope_uses_the_index_issuers_and_their_brand_names() -> None:
    scope = QueryScope.for_metadata(
        [
            _meta("GOOGL", "Alphabet Inc.", 2022),
            _meta("GOOGL", "Alphabet Inc.", 2023),
            _meta("META", "Meta Platforms, Inc.", 2023),
        ]
    )
    assert scope.filter_for("How much did Google spend on R&D in fiscal 2022?") == {
        "type": "and",
        "filters": [
            {"type": "eq", "key": "ticker", "value": "GOOGL"},
            {"type": "eq", "key": "fiscal_year", "value": 2022},
        ],
    }
    # No period named: each company's latest annual report (the recency default).
    assert scope.filter_for("Compare Facebook and Alphabet headcount") == {
        "type": "and",
        "filters": [
            {"type": "in", "key": "ticker", "value": ["META", "GOOGL"]},
            {"type": "eq", "key": "fiscal_year", "value": 2023},
            {"type": "eq", "key": "form", "value": "10-K"},
        ],
    }
    # issuers the index does not hold, and questions naming none, give no filter
    assert scope.filter_for("What were Pfizer's 2023 revenues?") is None
    assert scope.filter_for("What are the main risk factors?") is None
