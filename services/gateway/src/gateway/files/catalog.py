"""The filings of one index version, rebuilt from its chunks: ids, attributes, and page or section texts."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from retriever.file_ids import file_id
from retriever.hits import ChunkMetadata
from retriever.index.metadata_table import NO_PAGE
from retriever.index.store import ChunkStore

EDGAR_BROWSE = "https://www.sec.gov/cgi-bin/browse-edgar?action=getcompany&CIK={cik}&type=10-K"
EDGAR_FOLDER = "https://www.sec.gov/Archives/edgar/data/{cik}/{accession}/"


def edgar_url(meta: ChunkMetadata) -> str:
    """The filing on EDGAR: its document URL, else its accession folder, else the company's 10-K list."""
    if meta.url:
        return meta.url
    cik = meta.cik.lstrip("0") or meta.cik
    if meta.accession:
        return EDGAR_FOLDER.format(cik=cik, accession=meta.accession.replace("-", ""))
    return EDGAR_BROWSE.format(cik=cik)


@dataclass(frozen=True)
class ChunkSpan:
    """One chunk's place in the document text."""

    id: int
    char_start: int
    char_end: int


@dataclass(frozen=True)
class Part:
    """A PDF page or an HTML section (consecutive chunks of one Item) with its text and chunk spans."""

    page: int | None
    item: str | None
    item_title: str | None
    char_start: int
    char_end: int
    text: str
    chunks: tuple[ChunkSpan, ...]


def _stitch(spans: Sequence[tuple[int, int, str]]) -> tuple[int, int, str]:
    """Text covering every span at its own offsets; gaps the chunks skipped (whitespace) become blanks."""
    start = spans[0][0]
    pieces: list[str] = []
    cursor = start
    for span_start, span_end, text in spans:
        if span_end <= cursor:
            continue
        if span_start > cursor:
            gap = span_start - cursor
            pieces.append("\n" + " " * (gap - 1))
            cursor = span_start
        pieces.append(text[cursor - span_start :])
        cursor = span_end
    return start, cursor, "".join(pieces)


class FilingDoc:
    """One filing: its chunk ids (document order) and the texts rebuilt from them."""

    def __init__(self, id: str, chunk_ids: list[int], store: ChunkStore):
        self.id = id
        spans = store.metadata
        self._ids = sorted(chunk_ids, key=lambda i: (spans.char_start[i], spans.char_end[i]))
        self._store = store
        self.first = store.metadata[self._ids[0]]

    @property
    def chunk_count(self) -> int:
        """Chunks of this filing in the index."""
        return len(self._ids)

    @property
    def paginated(self) -> bool:
        """Whether the source had pages (PDF)."""
        return self.first.page is not None

    @property
    def format(self) -> str:
        """`pdf`, `html` or the source file's suffix."""
        suffix = self.first.source_file.rsplit(".", 1)[-1].lower()
        return "html" if suffix in ("htm", "html", "xhtml") else suffix

    @property
    def text_bytes(self) -> int:
        """UTF-8 size of the indexed text."""
        return sum(len(part.text.encode()) for part in self.parts)

    def attributes(self) -> dict[str, str | int | bool]:
        """Vector-store file attributes (no empty values)."""
        m = self.first
        values: dict[str, str | int | bool | None] = {
            "ticker": m.ticker,
            "company": m.company,
            "cik": m.cik,
            "form": m.form,
            "fiscal_year": m.fiscal_year,
            "period_end": m.period_end,
            "filing_date": m.filing_date,
            "accession": m.accession,
            "url": m.url,
            "edgar_url": edgar_url(m),
            "source_file": m.source_file,
            "format": self.format,
            "paginated": self.paginated,
            "pages": self.page_count,
            "chunks": self.chunk_count,
        }
        return {key: value for key, value in values.items() if value is not None}

    @property
    def page_count(self) -> int | None:
        """Highest page number with indexed text (PDFs only)."""
        pages = self._store.metadata.page[self._ids]
        pages = pages[pages != NO_PAGE]
        return int(pages.max()) if len(pages) else None

    @cached_property
    def parts(self) -> tuple[Part, ...]:
        """Pages (PDF) or Item sections (HTML) in document order."""
        meta = {i: self._store.metadata[i] for i in self._ids}
        texts = dict(zip(self._ids, self._store.texts_at(self._ids), strict=True))

        def key(i: int) -> tuple[int | None, str | None]:
            return (meta[i].page, None) if self.paginated else (None, meta[i].item)

        parts: list[Part] = []
        for (page, _), group in itertools.groupby(self._ids, key=key):
            ids = list(group)
            start, end, text = _stitch([(meta[i].char_start, meta[i].char_end, texts[i]) for i in ids])
            first = meta[ids[0]]
            spans = tuple(ChunkSpan(i, meta[i].char_start, meta[i].char_end) for i in ids)
            parts.append(Part(page, first.item, first.item_title, start, end, text, spans))
        return tuple(parts)

    @property
    def text(self) -> str:
        """The whole indexed text, parts separated by blank lines."""
        return "\n\n".join(part.text for part in self.parts)


class FileCatalog:
    """Every filing of an index version by file id, in index order."""

    def __init__(self, store: ChunkStore) -> None:
        # Grouped by the store's filing codes (a file id is a filing-level field), not chunk by chunk.
        filing = store.metadata.filing
        order = np.argsort(filing, kind="stable")
        by_id: dict[str, list[int]] = {}
        for rows in np.split(order, np.flatnonzero(np.diff(filing[order])) + 1):
            if len(rows):
                by_id.setdefault(file_id(store.metadata[int(rows[0])]), []).extend(rows.tolist())
        self._docs = {fid: FilingDoc(fid, sorted(ids), store) for fid, ids in by_id.items()}

    def __len__(self) -> int:
        return len(self._docs)

    def get(self, id: str) -> FilingDoc | None:
        """The filing with this id, or None."""
        return self._docs.get(id)

    def all(self) -> list[FilingDoc]:
        """Filings ordered by ticker, then newest fiscal year first."""
        return sorted(self._docs.values(), key=lambda d: (d.first.ticker, -(d.first.fiscal_year or 0), d.id))
