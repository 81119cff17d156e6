"""EDGAR client against fixtures in the shapes of SEC's responses (respx); no test touches the network.

The fixtures are built, not recorded: tests/retriever/fixtures/edgar/README.md says what each holds and which
values are real.
"""

import json
import time
from pathlib import Path

import httpx
import pytest
import respx
from retriever.sources.edgar import (
    SUBMISSIONS_PAGE_URL,
    SUBMISSIONS_URL,
    TICKERS_URL,
    EdgarClient,
    EdgarError,
    RateLimiter,
    fetch_corpus,
    validate_user_agent,
)
from retriever.sources.local import read_corpus

FIXTURES = Path(__file__).parent / "fixtures" / "edgar"
AGENT = "SEC 10-K RAG tests ops@example.com"
ARCHIVE = "https://www.sec.gov/Archives/edgar/data/320193/"
PAGES = ("CIK0000320193-submissions-001.json", "CIK0000320193-submissions-002.json")
# Apple's 10-Ks across the three fixture files, newest first: (accession, fiscal year).
TEN_KS = [
    ("0000320193-25-000079", 2025),
    ("0000320193-24-000123", 2024),
    ("0000320193-23-000106", 2023),
    ("0000320193-22-000108", 2022),
    ("0000320193-21-000105", 2021),
    ("0000320193-20-000096", 2020),
    ("0000320193-19-000119", 2019),  # the last one in filings.recent
    ("0000320193-18-000145", 2018),  # page 001
    ("0000320193-17-000070", 2017),
    ("0001628280-16-020309", 2016),
    ("0001193125-15-356351", 2015),  # page 002
    ("0001193125-14-383437", 2014),
]


@pytest.fixture
def edgar_mock():
    with respx.mock(assert_all_called=False) as mock:
        mock.get(TICKERS_URL).respond(200, content=(FIXTURES / "company_tickers.json").read_bytes())
        mock.get(SUBMISSIONS_URL.format(cik=320193)).respond(
            200, content=(FIXTURES / "CIK0000320193.json").read_bytes()
        )
        for page in PAGES:
            mock.get(SUBMISSIONS_PAGE_URL.format(name=page), name=page).respond(
                200, content=(FIXTURES / page).read_bytes()
            )
        mock.get(url__startswith=ARCHIVE).respond(200, content=(FIXTURES / "aapl-10k.htm").read_bytes())
        yield mock


def pages_read(mock: respx.MockRouter) -> list[str]:
    """The submissions pages the client requested."""
    return [page for page in PAGES if mock.routes[page].called]


def client(tmp_path: Path, **kwargs) -> EdgarClient:
    return EdgarClient(AGENT, tmp_path / "cache", backoff=0.0, **kwargs)


@pytest.mark.parametrize("agent", [None, "", "python-httpx/0.28", "Research Bot"])
def test_refuses_without_declared_user_agent(agent, tmp_path: Path):
    with pytest.raises(EdgarError, match="User-Agent"):
        EdgarClient(agent, tmp_path)


def test_user_agent_is_sent(edgar_mock, tmp_path: Path):
    client(tmp_path).resolve_tickers(["AAPL"])
    assert edgar_mock.calls.last.request.headers["User-Agent"] == validate_user_agent(AGENT)


def test_resolve_tickers_and_unknown(edgar_mock, tmp_path: Path):
    c = client(tmp_path)
    assert c.resolve_tickers(["aapl", "MSFT"]) == {
        "AAPL": (320193, "Apple Inc."),
        "MSFT": (789019, "MICROSOFT CORP"),
    }
    with pytest.raises(EdgarError, match="unknown ticker\\(s\\): ZZZZ"):
        c.resolve_tickers(["AAPL", "ZZZZ"])


def test_most_recent_annual_reports(edgar_mock, tmp_path: Path):
    filings = client(tmp_path).annual_reports("AAPL", 320193, "Apple Inc.", years=3)
    # The newest filing is a 10-K/A: it neither counts as a year nor displaces the original.
    assert [(f.accession, f.fiscal_year) for f in filings] == TEN_KS[:3]
    assert {f.form for f in filings} == {"10-K"}
    assert filings[1].url == ARCHIVE + "000032019324000123/aapl-20240928.htm"
    assert filings[1].filing_date == "2024-11-01" and filings[1].report_date == "2024-09-28"
    assert pages_read(edgar_mock) == []  # filings.recent had enough


@pytest.mark.parametrize(
    ("years", "pages"), [(7, []), (8, PAGES[:1]), (10, PAGES[:1]), (11, PAGES), (40, PAGES)]
)
def test_older_years_come_from_the_submissions_pages(edgar_mock, tmp_path: Path, years: int, pages):
    filings = client(tmp_path).annual_reports("AAPL", 320193, "Apple Inc.", years=years)
    assert [(f.accession, f.fiscal_year) for f in filings] == TEN_KS[:years]
    assert pages_read(edgar_mock) == list(pages)  # read newest first, and only while years are missing


def test_fetch_reaches_into_the_pages(edgar_mock, tmp_path: Path):
    out = tmp_path / "corpus"
    paths = fetch_corpus(client(tmp_path), ["AAPL"], 9, out)
    assert [p.name for p in paths] == [f"AAPL_FY{year}_10K.htm" for _, year in TEN_KS[:9]]
    by_year = {d.fiscal_year: d for d in read_corpus(out)}
    paged = by_year[2018]  # the first 10-K that is only in page 001
    assert paged.accession == "0000320193-18-000145" and paged.filing_date == "2018-11-05"
    assert paged.url == ARCHIVE + "000032019318000145/a10-k20189292018.htm"


def test_amendments_are_their_own_form(edgar_mock, tmp_path: Path):
    amendments = client(tmp_path).annual_reports("AAPL", 320193, "Apple Inc.", years=5, form="10-K/A")
    # Two in filings.recent, one in page 001; page 002 holds none, but only reading it can tell.
    assert [(f.filing_date, f.report_date) for f in amendments] == [
        ("2026-01-23", "2025-09-27"),
        ("2025-01-28", "2024-09-28"),
        ("2018-01-19", "2017-09-30"),
    ]
    assert {f.form for f in amendments} == {"10-K/A"}
    assert pages_read(edgar_mock) == list(PAGES)


def test_unequal_columns_are_an_error_not_a_shorter_history(tmp_path: Path):
    data = json.loads((FIXTURES / "CIK0000320193.json").read_text())
    data["filings"]["recent"]["primaryDocument"].pop()
    with respx.mock() as mock:
        mock.get(SUBMISSIONS_URL.format(cik=320193)).respond(200, json=data)
        with pytest.raises(EdgarError, match="unequal length"):
            client(tmp_path).annual_reports("AAPL", 320193, "Apple Inc.", years=3)


def test_fetch_writes_corpus_and_caches(edgar_mock, tmp_path: Path):
    c = client(tmp_path)
    out = tmp_path / "corpus"
    paths = fetch_corpus(c, ["AAPL"], 2, out)
    assert [p.name for p in paths] == ["AAPL_FY2025_10K.htm", "AAPL_FY2024_10K.htm"]
    docs = read_corpus(out)
    assert docs[1].accession == "0000320193-24-000123" and docs[1].filing_date == "2024-11-01"
    assert docs[1].url.endswith("/aapl-20240928.htm") and docs[1].fiscal_year == 2024
    made = c.requests_made
    assert made == 4
    fetch_corpus(c, ["AAPL"], 2, out)
    assert c.requests_made == made  # everything came from the on-disk cache


def test_retries_429_and_5xx_then_succeeds(tmp_path: Path):
    with respx.mock() as mock:
        route = mock.get(TICKERS_URL)
        route.side_effect = [
            httpx.Response(429),
            httpx.Response(503),
            httpx.Response(200, content=(FIXTURES / "company_tickers.json").read_bytes()),
        ]
        assert client(tmp_path).resolve_tickers(["NVDA"]) == {"NVDA": (1045810, "NVIDIA CORP")}
        assert route.call_count == 3


def test_gives_up_with_one_clear_error(tmp_path: Path):
    with respx.mock() as mock:
        mock.get(TICKERS_URL).respond(503)
        with pytest.raises(EdgarError, match="503"):
            client(tmp_path, max_attempts=2).resolve_tickers(["AAPL"])


def test_client_errors_are_not_retried(tmp_path: Path):
    with respx.mock() as mock:
        route = mock.get(TICKERS_URL).respond(404)
        with pytest.raises(EdgarError, match="404"):
            client(tmp_path).resolve_tickers(["AAPL"])
        assert route.call_count == 1


def test_rate_limit_at_most_ten_per_second():
    limiter = RateLimiter(10.0)
    started = time.monotonic()
    for _ in range(6):
        limiter.wait()
    assert time.monotonic() - started >= 0.45


def test_fixtures_have_the_submissions_shapes():
    data = json.loads((FIXTURES / "CIK0000320193.json").read_text())
    assert data["cik"] == "0000320193" and data["tickers"] == ["AAPL"] and data["name"] == "Apple Inc."
    recent, files = data["filings"]["recent"], data["filings"]["files"]
    assert [page["name"] for page in files] == list(PAGES)
    columns = set(recent)
    assert {"accessionNumber", "filingDate", "reportDate", "form", "primaryDocument", "isXBRL"} <= columns
    newest_older = max(recent["filingDate"])
    for where, block in [("recent", recent)] + [(p, json.loads((FIXTURES / p).read_text())) for p in PAGES]:
        assert set(block) == columns, where  # a page is a bare object of the same column arrays
        assert len({len(values) for values in block.values()}) == 1, where
        assert block["filingDate"] == sorted(block["filingDate"], reverse=True), where
        assert "10-K/A" in block["form"] or where == PAGES[1], where
    for page in files:
        block = json.loads((FIXTURES / page["name"]).read_text())
        assert page["filingCount"] == len(block["accessionNumber"])
        assert (page["filingFrom"], page["filingTo"]) == (min(block["filingDate"]), max(block["filingDate"]))
        assert page["filingTo"] < newest_older  # each page is older than the one before it
        newest_older = page["filingFrom"]
