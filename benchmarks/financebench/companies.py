"""The checked-in company → ticker mapping (tickers.csv) and fiscal calendar per company."""

import csv
from dataclasses import dataclass
from pathlib import Path

from benchmarks.financebench.paths import TICKERS_CSV


@dataclass(frozen=True)
class Company:
    """One issuer: FinanceBench's short name, ticker, legal name, CIK, fiscal calendar."""

    company: str
    ticker: str
    name: str
    cik: str
    fy_end_month: int
    # Fiscal year N ends in calendar year N + offset (Foot Locker's and Ulta's "fiscal 2023" end early 2024).
    fy_label_offset: int


def load_companies(path: Path = TICKERS_CSV) -> list[Company]:
    """Read tickers.csv."""
    with path.open(newline="", encoding="utf-8") as fh:
        return [
            Company(
                company=row["company"].strip(),
                ticker=row["ticker"].strip().upper(),
                name=row["name"].strip(),
                cik=row["cik"].strip(),
                fy_end_month=int(row["fy_end_month"]),
                fy_label_offset=int(row["fy_label_offset"]),
            )
            for row in csv.DictReader(fh)
        ]


def by_company(companies: list[Company]) -> dict[str, Company]:
    """Index by FinanceBench's company name."""
    return {c.company: c for c in companies}
