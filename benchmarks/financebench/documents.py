"""FinanceBench document information → SourceDocuments, merged with the 10-K corpus and deduplicated."""

import calendar
import csv
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from retriever.sources.local import SourceDocument, read_corpus

from benchmarks.financebench.companies import Company, by_company, load_companies
from benchmarks.financebench.paths import corpus_dir, financebench_dir

DOC_INFO = "financebench_document_information.jsonl"
# FinanceBench doc_type → SEC form; earnings releases are furnished as Exhibit 99.1 of an 8-K.
FORMS = {"10k": "10-K", "10q": "10-Q", "8k": "8-K", "earnings": "EX-99.1"}
_QUARTER = re.compile(r"_(\d{4})Q([1-4])_")
_DATED = re.compile(r"dated[-_](\d{4}-\d{2}-\d{2})")


@dataclass
class SharedCorpus:
    """Every indexed document once, plus which doc_id stands in for a byte-identical duplicate."""

    documents: list[SourceDocument]
    # duplicate doc_id → doc_id of the indexed copy (same sha256)
    aliases: dict[str, str] = field(default_factory=dict)

    def canonical(self, doc_id: str) -> str:
        """doc_id of the indexed copy of a document."""
        return self.aliases.get(doc_id, doc_id)


def _month_end(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}-{calendar.monthrange(year, month)[1]:02d}"


def period_end(company: Company, doc_name: str, doc_type: str, fiscal_year: int) -> str:
    """Approximate period end (month end; 52/53-week years end a few days off) of a filing."""
    if (dated := _DATED.search(doc_name)) is not None:
        return dated.group(1)
    quarter = 4
    if (q := _QUARTER.search(doc_name)) is not None:
        quarter = int(q.group(2))
    # Quarter q of fiscal year N ends 3*(4-q) months before the fiscal year's last month.
    months = (fiscal_year + company.fy_label_offset) * 12 + company.fy_end_month - 1 - 3 * (4 - quarter)
    year, month0 = divmod(months, 12)
    return _month_end(year, month0 + 1)


def financebench_documents(folder: Path | None = None) -> list[SourceDocument]:
    """SourceDocuments for every FinanceBench PDF present, identity from the document information file."""
    folder = folder or financebench_dir()
    companies = by_company(load_companies())
    present = {p.stem: p for p in (folder / "pdfs").glob("*.pdf")}
    docs: list[SourceDocument] = []
    with (folder / DOC_INFO).open(encoding="utf-8") as fh:
        for line in fh:
            info = json.loads(line)
            path = present.get(info["doc_name"])
            if path is None:
                continue
            company = companies.get(info["company"])
            if company is None:
                raise KeyError(f"company {info['company']!r} missing from tickers.csv")
            year = int(info["doc_period"])
            docs.append(
                SourceDocument(
                    path=path,
                    ticker=company.ticker,
                    company=company.name,
                    cik=company.cik,
                    form=FORMS[info["doc_type"].lower()],
                    fiscal_year=year,
                    period_end=period_end(company, info["doc_name"], info["doc_type"], year),
                    filing_date=None,
                    accession=None,
                    url=info.get("doc_link") or None,
                    format="pdf",
                )
            )
    return sorted(docs, key=lambda d: d.doc_id)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def shared_corpus(include_corpus: bool = True) -> SharedCorpus:
    """Corpus filings, then FinanceBench PDFs; a file whose bytes are already indexed becomes an alias."""
    candidates = [*(read_corpus(corpus_dir()) if include_corpus else []), *financebench_documents()]
    seen: dict[str, str] = {}
    result = SharedCorpus(documents=[])
    for doc in candidates:
        digest = _sha256(doc.path)
        if digest in seen:
            result.aliases[doc.doc_id] = seen[digest]
            continue
        seen[digest] = doc.doc_id
        result.documents.append(doc)
    return result


MANIFEST_COLUMNS = (
    "file", "ticker", "company", "cik", "form", "fiscal_year", "period_end", "format", "url", "path",
    "alias_of",
)  # fmt: skip


def write_manifest(corpus: SharedCorpus, path: Path) -> None:
    """Record the generated shared manifest (git-ignored cache) for inspection."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(MANIFEST_COLUMNS)
        for d in corpus.documents:
            writer.writerow(
                [d.path.name, d.ticker, d.company, d.cik, d.form, d.fiscal_year, d.period_end, d.format,
                 d.url or "", str(d.path), ""]
            )  # fmt: skip
        for alias, target in sorted(corpus.aliases.items()):
            writer.writerow([f"{alias}.pdf", "", "", "", "", "", "", "pdf", "", "", target])
