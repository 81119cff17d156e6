"""A local corpus folder described by manifest.csv."""

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

MANIFEST_NAME = "manifest.csv"
REQUIRED_COLUMNS = ("file", "ticker", "company", "cik", "form", "fiscal_year")
SUPPORTED_SUFFIXES = frozenset({".html", ".htm", ".xhtml", ".pdf", ".txt", ".text", ".md"})


class ManifestError(ValueError):
    """The corpus folder or its manifest.csv is missing, empty or malformed."""


@dataclass(frozen=True)
class SourceDocument:
    """One filing file plus the identity the manifest gives it."""

    path: Path
    ticker: str
    company: str
    cik: str
    form: str
    fiscal_year: int | None
    period_end: str | None
    filing_date: str | None
    accession: str | None
    url: str | None
    format: str

    @property
    def doc_id(self) -> str:
        """Stable document id: the file name without suffix."""
        return self.path.stem

    def sha256(self) -> str:
        """Checksum of the file bytes (recorded in the index manifest)."""
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def edgar_archive_url(cik: str, accession: str | None, primary: str | None = None) -> str | None:
    """EDGAR archive URL of a filing (its primary document when known)."""
    if not accession or not cik:
        return None
    folder = f"https://www.sec.gov/Archives/edgar/data/{int(cik)}/{accession.replace('-', '')}/"
    return folder + primary if primary else folder


def _optional(row: dict[str, str], key: str) -> str | None:
    value = (row.get(key) or "").strip()
    return value or None


def _row_to_document(folder: Path, row: dict[str, str], line: int) -> SourceDocument:
    name = (row.get("file") or "").strip()
    if not name:
        raise ManifestError(f"{MANIFEST_NAME} line {line}: empty 'file'")
    path = folder / name
    year = _optional(row, "fiscal_year")
    try:
        fiscal_year = int(year) if year else None
    except ValueError as exc:
        raise ManifestError(f"{MANIFEST_NAME} line {line}: fiscal_year {year!r} is not a year") from exc
    cik = (row.get("cik") or "").strip().lstrip("0")
    accession = _optional(row, "accession")
    fmt = _optional(row, "format") or path.suffix.lstrip(".").lower()
    return SourceDocument(
        path=path,
        ticker=(row.get("ticker") or "").strip().upper(),
        company=(row.get("company") or "").strip(),
        cik=cik,
        form=(_optional(row, "form") or "10-K").upper(),
        fiscal_year=fiscal_year,
        period_end=_optional(row, "period_end"),
        filing_date=_optional(row, "filing_date"),
        accession=accession,
        url=_optional(row, "url") or edgar_archive_url(cik, accession),
        format=fmt,
    )


def read_corpus(folder: Path) -> list[SourceDocument]:
    """Read manifest.csv of a corpus folder; raise ManifestError with one clear line on problems."""
    if not folder.is_dir():
        raise ManifestError(f"corpus folder {folder} does not exist")
    manifest = folder / MANIFEST_NAME
    if not manifest.is_file():
        if not any(p.suffix.lower() in SUPPORTED_SUFFIXES for p in folder.iterdir()):
            raise ManifestError(f"corpus folder {folder} is empty (no {MANIFEST_NAME} and no filings)")
        raise ManifestError(f"corpus folder {folder} has no {MANIFEST_NAME}")
    with manifest.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ManifestError(f"{manifest}: missing column(s) {', '.join(missing)}")
        docs = [_row_to_document(folder, row, i) for i, row in enumerate(reader, start=2)]
    if not docs:
        raise ManifestError(f"{manifest} lists no filings")
    return docs
