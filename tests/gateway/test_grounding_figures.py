"""The figure rules on verbatim passages of the 20 filings (fixtures/filing_excerpts.json), both directions.

Each excerpt is the retriever's own parse of the filing (`test_excerpts_are_verbatim_parses` re-checks that).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from gateway.grounding import (
    check_figures,
    figures_in,
    find_citations,
    numbers_in,
    source_title,
    source_url,
    statement_exponents,
)

EXCERPTS: dict[str, dict[str, Any]] = json.loads(
    (Path(__file__).parent / "fixtures" / "filing_excerpts.json").read_text()
)


def source(key: str, index: int = 1) -> dict[str, Any]:
    """An excerpt as a chat source."""
    excerpt = EXCERPTS[key]
    ticker, year = excerpt["file"].split("_")[:2]
    return {
        "index": index,
        "text": excerpt["text"],
        "ticker": ticker,
        "form": "10-K",
        "fiscal_year": int(year.removeprefix("FY")),
        "item": "7",
        "page": excerpt["page"],
        "url": None,
        "file_id": f"file-{ticker.lower()}",
    }


def found(answer: str, *keys: str, question: str = "") -> dict[str, list[int]]:
    """Each figure's text -> the numbers of the excerpts that hold it."""
    grounding = check_figures(answer, [question], [source(k, n) for n, k in enumerate(keys, start=1)])
    return {f.text: f.found_in for f in grounding.figures}


# Supported: the answer states what the passage says, at its own precision.
@pytest.mark.parametrize(
    ("key", "answer"),
    [
        # a table in millions restated in billions, rounded to the answer's decimals
        ("aapl_operations", "Total net sales were $391.0 billion."),
        ("aapl_operations", "Total net sales were $391 billion."),
        ("aapl_operations", "Total net sales were $391.04 billion."),  # 391.035 rounds half up
        ("aapl_operations", "Gross margin was $180.7 billion."),
        ("aapl_operations", "Total net sales were $391,035 million."),
        ("aapl_operations", "Total net sales were 391,035."),
        # negatives in parentheses match either way round
        ("amzn_cash_flows", "Investing activities used $94.3 billion."),
        ("amzn_cash_flows", "Investing activities were -$94,342 million."),
        ("meta_segments", "Reality Labs lost $(17.7) billion."),
        ("meta_segments", "Reality Labs' operating margin was -826%."),
        ("tsla_tax", "The effective tax rate was (50)%."),
        ("tsla_tax", "Tesla recorded a tax benefit of $5.0 billion."),
        ("aapl_segments", "Greater China net sales fell 8%."),
        ("nvda_segments", "All Other was a loss of $4.9 billion, 10% better."),
        # stated scale words in the passage
        ("meta_segments", "Net income was $62.4 billion, EPS $23.86."),
        ("meta_segments", "Net income was $62,360 million."),
        ("msft_revenue", "Revenue increased $13.6 billion, or 7%."),
        ("googl_constant_currency", "Constant currency revenues were $352.7 billion."),
        # units
        ("meta_workforce", "Meta had 74,067 employees."),
        ("msft_employees", "Microsoft employed about 221,000 people, 120,000 of them in the U.S."),
        # ranges: the first end takes the second one's scale or percent sign
        ("meta_capex_range", "Capital expenditures of $60 billion to $65 billion are planned."),
        ("meta_capex_range", "Capital expenditures of $60-65 billion are planned."),
        ("meta_tax_range", "The tax rate is expected to be 12-15%."),
        ("meta_tax_range", "The tax rate is expected to be 12% to 15%."),
        ("nvda_capex_range", "Capital investments of $3.5 billion to $4.0 billion."),
        ("amzn_guidance", "Net sales of $151.0 billion to $155.5 billion, growth of 5% to 9%."),
        # basis points: as written, or as the percentage they are
        ("amzn_guidance", "Foreign exchange costs 150 basis points."),
        ("amzn_guidance", "Foreign exchange costs 1.5 percentage points."),
        ("meta_basis_points", "A 100 bps rise would cost $680 million."),
        ("meta_basis_points", "A 1% rise in rates would cost $0.68 billion."),
    ],
)
def test_figure_found_in_its_passage(key: str, answer: str) -> None:
    figures = found(answer, key)
    assert figures and all(holders == [1] for holders in figures.values()), figures


# Unsupported: another quantity, a precision the passage does not have, or the wrong kind.
@pytest.mark.parametrize(
    ("key", "answer", "unsupported"),
    [
        (
            "aapl_operations",
            "Total net sales were $391.1 billion.",
            "$391.1 billion",
        ),  # rounding is not slack
        ("aapl_operations", "Total net sales were $392 billion.", "$392 billion"),
        ("aapl_operations", "Total net sales were $391.036 billion.", "$391.036 billion"),
        (
            "meta_segments",
            "Net income was $62.364 billion.",
            "$62.364 billion",
        ),  # more precise than the passage
        ("meta_segments", "Net income was $62.37 billion.", "$62.37 billion"),
        ("aapl_segments", "Greater China net sales fell 8.5%.", "8.5%"),
        (
            "amzn_cash_flows",
            "Operating activities provided $84,946 thousand.",
            "$84,946 thousand",
        ),  # "in millions"
        ("msft_revenue", "Revenue increased 13.6%.", "13.6%"),  # a percent matches only a percent
        ("msft_revenue", "Revenue increased by 7 billion.", "7 billion"),  # and an amount only an amount
        ("amzn_guidance", "Foreign exchange costs 15 basis points.", "15 basis points"),
        ("amzn_guidance", "Foreign exchange costs 150%.", "150%"),
        ("meta_workforce", "Meta had 74,000 employees.", "74,000 employees"),
        ("meta_tax_range", "The tax rate is expected to be 12-16%.", "16%"),
        ("meta_capex_range", "Capital expenditures of $60-66 billion are planned.", "66 billion"),
    ],
)
def test_figure_not_found_in_its_passage(key: str, answer: str, unsupported: str) -> None:
    figures = found(answer, key)
    assert figures[unsupported] == [], figures
    assert [text for text, holders in figures.items() if not holders] == [unsupported]


def test_a_declared_statement_scale_is_the_only_one_read() -> None:
    # "(in millions)" heads the cash-flow excerpt; the segment excerpt starts below its header, so a bare
    # number there may be in thousands, millions or billions.
    assert statement_exponents(EXCERPTS["amzn_cash_flows"]["text"]) == (0, 6)
    assert statement_exponents(EXCERPTS["aapl_operations"]["text"]) == (0, 3, 6)  # shares in thousands
    assert statement_exponents(EXCERPTS["aapl_segments"]["text"]) == (0, 3, 6, 9)
    assert found("Americas net sales were $167.0 billion or $167,045 thousand.", "aapl_segments") == {
        "$167.0 billion": [1],
        "$167,045 thousand": [1],
    }


def test_figures_are_matched_against_every_source_and_report_which() -> None:
    answer = "Apple's net sales were $391.0 billion [1] and Meta had 74,067 employees [1]."
    grounding = check_figures(answer, [], [source("aapl_operations", 1), source("meta_workforce", 2)])
    assert [(f.text, f.cited, f.found_in) for f in grounding.figures] == [
        ("$391.0 billion", [1], [1]),
        ("74,067 employees", [1], [2]),  # cited [1] but found in [2]: the lists say so
    ]
    assert grounding.unsupported == [] and grounding.checked


def test_what_is_not_a_figure() -> None:
    answer = (
        "In fiscal 2024 (Item 7, p. 26 of the Form 10-K, Notes 3 and 4) as of September 28, 2024 and "
        "12/31/2023, Q4 2024 and FY2023 results [2] show 3M and Item 1A; the question's $300 billion too."
    )
    assert [f.text for f in figures_in(answer)] == ["$300 billion"]
    grounding = check_figures(answer, ["Was it more than $300 billion in 2024?"], [source("aapl_operations")])
    assert grounding.figures == [] and grounding.unknown_citations == [2]


def test_a_figure_keeps_its_sign_currency_scale_and_unit() -> None:
    figures = figures_in(
        "Down (1,234), $(5.6) million, -3.2%, 12.5%, 80,000 employees, $6.11 per diluted share."
    )
    assert [(f.text, float(f.value)) for f in figures] == [
        ("(1,234)", -1234),
        ("$(5.6) million", -5_600_000),
        ("-3.2%", pytest.approx(-3.2)),
        ("12.5%", pytest.approx(12.5)),
        ("80,000 employees", 80_000),
        ("$6.11 per diluted share", pytest.approx(6.11)),
    ]
    assert [f.decimals for f in figures] == [0, 1, 1, 1, 0, 2]


def test_numbers_in_a_table_row_keep_parentheses_and_percent() -> None:
    row = EXCERPTS["aapl_segments"]["text"].splitlines()[
        0
    ]  # Americas | $167,045 | 3% | $162,560 | (4)% | ...
    assert [(n.text, n.kind, n.negative) for n in numbers_in(row)] == [
        ("$167,045", "amount", False),
        ("3%", "percent", False),
        ("$162,560", "amount", False),
        ("(4)%", "percent", True),
        ("$169,658", "amount", False),
    ]


def test_annotations_delimit_markers_and_name_the_page() -> None:
    answer = "Net sales were $391.0 billion [1], see [2] and [7]."
    sources = [source("aapl_operations", 1), {**source("meta_workforce", 2), "url": "https://sec.example/m"}]
    annotations = find_citations(answer, sources, "http://gw:8080/v1/files")
    assert [
        answer[a["url_citation"]["start_index"] : a["url_citation"]["end_index"]] for a in annotations
    ] == [
        "[1]",
        "[2]",
    ]
    first, second = (a["url_citation"] for a in annotations)
    assert first["url"] == "http://gw:8080/v1/files/file-aapl/content#page=31"
    assert first["title"] == "AAPL 10-K FY2024, Item 7, p. 31"
    assert second["url"] == "https://sec.example/m#page=12"
    assert source_url({"url": "https://sec.example/x", "page": None}, "") == "https://sec.example/x"
    assert source_title({"index": 3, "company": "Apple Inc."}) == "Apple Inc."


@pytest.mark.slow
def test_excerpts_are_verbatim_parses() -> None:
    from retriever.parsing.cache import parse_cached
    from support.corpus import PARSE_CACHE, shared_data_dir

    corpus = shared_data_dir() / "corpus" / "10k"
    assert corpus.is_dir(), f"the shared corpus is missing: {corpus}"
    parsed: dict[str, Any] = {}
    for key, excerpt in EXCERPTS.items():
        name = excerpt["file"]
        if name not in parsed:
            fmt = "pdf" if name.endswith(".pdf") else "html"
            parsed[name] = parse_cached(corpus / name, fmt, PARSE_CACHE)
        at = parsed[name].text.find(excerpt["text"])
        assert at >= 0, key
        assert parsed[name].page_at(at) == excerpt["page"], key
