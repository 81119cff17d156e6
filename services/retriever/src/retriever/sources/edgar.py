"""EDGAR client: ticker → CIK, 10-K listing from the submissions API, primary-document download.

SEC fair-access rules: a declared User-Agent with a contact, at most 10 requests per second.
"""

import csv
import hashlib
import json
import logging
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from retriever.sources.local import MANIFEST_NAME, edgar_archive_url
from tenacity import retry, retry_if_exception, stop_after_attempt, wait_exponential
from tqdm import tqdm

logger = logging.getLogger(__name__)

TICKERS_URL = "https://www.sec.gov/files/company_tickers.json"
SUBMISSIONS_URL = "https://data.sec.gov/submissions/CIK{cik:010d}.json"
# Older filings: the pages `filings.files` names, each a bare object of the same column arrays.
SUBMISSIONS_PAGE_URL = "https://data.sec.gov/submissions/{name}"
_PAGE_NAME = re.compile(r"CIK\d{10}-submissions-\d{3}\.json")
MAX_REQUESTS_PER_SECOND = 10.0
_CONTACT = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
MANIFEST_COLUMNS = (
    "file",
    "ticker",
    "company",
    "cik",
    "form",
    "fiscal_year",
    "period_end",
    "format",
    "accession",
    "source",
    "filing_date",
    "url",
)


class EdgarError(RuntimeError):
    """EDGAR could not be used: missing User-Agent, unknown ticker, or a failed request."""


@dataclass(frozen=True)
class Filing:
    """One filing listed by the submissions API."""

    ticker: str
    company: str
    cik: int
    form: str
    accession: str
    filing_date: str
    report_date: str
    primary_document: str

    @property
    def url(self) -> str:
        """Archive URL of the primary document."""
        return edgar_archive_url(str(self.cik), self.accession, self.primary_document) or ""

    @property
    def fiscal_year(self) -> int | None:
        """Fiscal year taken from the period end (report date)."""
        return int(self.report_date[:4]) if self.report_date[:4].isdigit() else None


def validate_user_agent(user_agent: str | None) -> str:
    """Return the User-Agent or raise: SEC requires a declared agent with a contact e-mail."""
    if not user_agent or not _CONTACT.search(user_agent):
        raise EdgarError(
            "EDGAR needs a declared User-Agent with a contact e-mail, e.g. SEC_USER_AGENT='Acme Research "
            "ops@acme.example' (or --user-agent)"
        )
    return user_agent.strip()


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code == 429 or exc.response.status_code >= 500
    return isinstance(exc, httpx.TransportError)


class RateLimiter:
    """Spaces calls at least 1/rate seconds apart, across threads."""

    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / rate
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Block until the next call is allowed."""
        with self._lock:
            now = time.monotonic()
            delay = self._next - now
            self._next = max(now, self._next) + self._interval
        if delay > 0:
            time.sleep(delay)


class EdgarClient:
    """Cached, rate-limited, retrying EDGAR HTTP client."""

    def __init__(
        self,
        user_agent: str | None,
        cache_dir: Path,
        *,
        http: httpx.Client | None = None,
        rate: float = MAX_REQUESTS_PER_SECOND,
        max_attempts: int = 5,
        backoff: float = 0.5,
    ) -> None:
        agent = validate_user_agent(user_agent)
        self._http = http or httpx.Client(timeout=30.0, follow_redirects=True)
        self._headers = {"User-Agent": agent, "Accept-Encoding": "gzip, deflate"}
        self._cache = cache_dir / "edgar"
        self._cache.mkdir(parents=True, exist_ok=True)
        self._limiter = RateLimiter(min(rate, MAX_REQUESTS_PER_SECOND))
        self._get_with_retry = retry(
            retry=retry_if_exception(_retryable),
            stop=stop_after_attempt(max_attempts),
            wait=wait_exponential(multiplier=backoff, max=30),
            reraise=True,
        )(self._get_once)
        self.requests_made = 0

    def _get_once(self, url: str) -> bytes:
        self._limiter.wait()
        self.requests_made += 1
        response = self._http.get(url, headers=self._headers)
        response.raise_for_status()
        return response.content

    def get(self, url: str) -> bytes:
        """GET url through the on-disk cache (nothing is downloaded twice)."""
        path = self._cache / hashlib.sha256(url.encode()).hexdigest()
        if path.exists():
            return path.read_bytes()
        try:
            body = self._get_with_retry(url)
        except httpx.HTTPStatusError as exc:
            raise EdgarError(f"EDGAR request failed: {exc.response.status_code} for {url}") from exc
        except httpx.TransportError as exc:
            raise EdgarError(f"EDGAR request failed: {type(exc).__name__} for {url}") from exc
        tmp = path.with_suffix(".part")
        tmp.write_bytes(body)
        tmp.replace(path)
        return body

    def resolve_tickers(self, tickers: Sequence[str]) -> dict[str, tuple[int, str]]:
        """Map tickers to (CIK, company name); raise EdgarError naming unknown tickers."""
        table = json.loads(self.get(TICKERS_URL))
        by_ticker = {str(r["ticker"]).upper(): (int(r["cik_str"]), str(r["title"])) for r in table.values()}
        wanted = [t.strip().upper() for t in tickers if t.strip()]
        unknown = [t for t in wanted if t not in by_ticker]
        if unknown:
            raise EdgarError(f"unknown ticker(s): {', '.join(unknown)}")
        return {t: by_ticker[t] for t in wanted}

    def annual_reports(
        self, ticker: str, cik: int, company: str, years: int, form: str = "10-K"
    ) -> list[Filing]:
        """The `years` most recent filings of `form` for a company, newest first (a 10-K/A is not a 10-K).

        `filings.recent` holds the latest filings (at least a year's, or 1,000); older ones are in the pages
        listed in `filings.files`, read newest first and only until `years` filings are found.
        """
        data = json.loads(self.get(SUBMISSIONS_URL.format(cik=cik)))
        name = data.get("name") or company
        block = data.get("filings", {})
        found: dict[str, Filing] = {}

        def take(columns: dict[str, list[object]], where: str) -> None:
            for row in _submission_rows(columns, where):
                if row["form"] == form and row["primaryDocument"] and row["accessionNumber"] not in found:
                    found[row["accessionNumber"]] = Filing(
                        ticker,
                        name,
                        cik,
                        row["form"],
                        row["accessionNumber"],
                        row["filingDate"],
                        row["reportDate"],
                        row["primaryDocument"],
                    )

        take(block.get("recent", {}), SUBMISSIONS_URL.format(cik=cik))
        pages = sorted(block.get("files", []), key=lambda page: str(page.get("filingTo", "")), reverse=True)
        for page in pages:
            if len(found) >= years:
                break  # every page is older than what was already found
            page_name = str(page.get("name", ""))
            if not _PAGE_NAME.fullmatch(page_name):
                raise EdgarError(f"unexpected submissions page name {page_name!r} for CIK {cik}")
            url = SUBMISSIONS_PAGE_URL.format(name=page_name)
            take(json.loads(self.get(url)), url)
        filings = sorted(found.values(), key=lambda f: f.filing_date, reverse=True)
        return filings[:years]


_ROW_FIELDS = ("accessionNumber", "filingDate", "reportDate", "form", "primaryDocument")


def _submission_rows(columns: dict[str, list[object]], where: str) -> list[dict[str, str]]:
    """Rows of the submissions API's parallel column arrays; columns of unequal length are an error."""
    lengths = {field: len(columns.get(field) or []) for field in _ROW_FIELDS}
    if len(set(lengths.values())) > 1:
        raise EdgarError(f"submissions columns of unequal length in {where}: {lengths}")
    picked = [columns.get(field) or [] for field in _ROW_FIELDS]
    return [
        {field: str(value or "") for field, value in zip(_ROW_FIELDS, values, strict=True)}
        for values in zip(*picked, strict=True)
    ]


def fetch_corpus(
    client: EdgarClient, tickers: Sequence[str], years: int, out_dir: Path, *, show_progress: bool = False
) -> list[Path]:
    """Download the N most recent 10-Ks per ticker into out_dir and write its manifest.csv."""
    companies = client.resolve_tickers(tickers)
    filings = [f for t, (cik, name) in companies.items() for f in client.annual_reports(t, cik, name, years)]
    if not filings:
        raise EdgarError(f"no 10-K filings found for {', '.join(companies)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    rows: list[dict[str, str]] = []
    for filing in tqdm(filings, desc="downloading", unit="filing", disable=not show_progress):
        suffix = Path(filing.primary_document).suffix.lower() or ".html"
        name = f"{filing.ticker}_FY{filing.fiscal_year}_{filing.form.replace('-', '')}{suffix}"
        path = out_dir / name
        path.write_bytes(client.get(filing.url))
        written.append(path)
        rows.append(
            {
                "file": name,
                "ticker": filing.ticker,
                "company": filing.company,
                "cik": str(filing.cik),
                "form": filing.form,
                "fiscal_year": str(filing.fiscal_year or ""),
                "period_end": filing.report_date,
                "format": "pdf" if suffix == ".pdf" else "html" if suffix in {".htm", ".html"} else "text",
                "accession": filing.accession,
                "source": "edgar",
                "filing_date": filing.filing_date,
                "url": filing.url,
            }
        )
    _merge_manifest(out_dir / MANIFEST_NAME, rows)
    return written


def _merge_manifest(path: Path, rows: list[dict[str, str]]) -> None:
    existing: dict[str, dict[str, str]] = {}
    if path.exists():
        with path.open(newline="", encoding="utf-8") as fh:
            existing = {r["file"]: r for r in csv.DictReader(fh)}
    existing.update({r["file"]: r for r in rows})
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=MANIFEST_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(existing.values())
    tmp.replace(path)
