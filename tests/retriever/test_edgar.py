"""EDGAR client against recorded responses (respx); no test touches the network."""

import json
import time
from pathlib import Path

import httpx
import pytest
import respx
from retriever.sources.edgar import (
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


@pytest.fixture
def edgar_mock():
    with respx.mock(assert_all_called=False) as mock:
        mock.get(TICKERS_URL).respond(200, content=(FIXTURES / "company_tickers.json").read_bytes())
        mock.get(SUBMISSIONS_URL.format(cik=320193)).respond(
            200, content=(FIXTURES / "CIK0000320193.json").read_bytes()
        )
        mock.get(url__startswith=ARCHIVE).respond(200, content=(FIXTURES / "aapl-10k.htm").read_bytes())
        yield mock


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
    assert [f.accession for f in filings] == [
        "0000320193-25-000079",
        "0000320193-24-000123",
        "0000320193-23-000106",
    ]
    assert [f.fiscal_year for f in filings] == [2025, 2024, 2023]
    assert filings[1].url == ARCHIVE + "000032019324000123/aapl-20240928.htm"


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


def test_fixture_is_the_submissions_schema():
    data = json.loads((FIXTURES / "CIK0000320193.json").read_text())
    recent = data["filings"]["recent"]
    assert len({len(v) for v in recent.values()}) == 1
