"""Chunk metadata as columns: each filing's and each section's fields once, and per-chunk codes into them.

At millions of chunks one `ChunkMetadata` object per chunk costs about a kilobyte (sixteen fields, each a
separate string object) and seconds to build at load. Almost every field is the same for all chunks of a
filing (ticker, company, fiscal year, ...) or of an Item (item, item_title), so the table keeps those once per
filing or section and 4-byte codes per chunk, plus the three per-chunk integers. A row becomes a
`ChunkMetadata` again only when it is read (a hit, a candidate, a file part).
"""

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
from retriever.hits import ChunkMetadata

SECTION_FIELDS = ("item", "item_title")
CHUNK_FIELDS = ("page", "char_start", "char_end")
# Everything else is the same for every chunk of a filing: doc_id, ticker, company, ..., url, source_file.
FILING_FIELDS = tuple(f for f in ChunkMetadata.field_names() if f not in SECTION_FIELDS + CHUNK_FIELDS)

NO_PAGE = -1  # the page column's value for chunks of unpaginated sources


@dataclass(frozen=True, eq=False)
class MetadataTable(Sequence[ChunkMetadata]):
    """Read-only chunk metadata; row i is chunk i."""

    filings: tuple[tuple[Any, ...], ...]  # distinct FILING_FIELDS values
    sections: tuple[tuple[Any, ...], ...]  # distinct SECTION_FIELDS values
    filing: np.ndarray  # int32 per chunk, into filings
    section: np.ndarray  # int32 per chunk, into sections
    page: np.ndarray  # int32 per chunk, NO_PAGE when the source has no pages
    char_start: np.ndarray  # int64 per chunk
    char_end: np.ndarray  # int64 per chunk

    @classmethod
    def of(cls, metadata: Iterable[ChunkMetadata]) -> "MetadataTable":
        """The table of these rows, in order."""
        filings: dict[tuple[Any, ...], int] = {}
        sections: dict[tuple[Any, ...], int] = {}
        filing, section, page, start, end = [], [], [], [], []
        for m in metadata:
            filing.append(filings.setdefault(tuple(getattr(m, f) for f in FILING_FIELDS), len(filings)))
            section.append(sections.setdefault((m.item, m.item_title), len(sections)))
            page.append(NO_PAGE if m.page is None else m.page)
            start.append(m.char_start)
            end.append(m.char_end)
        return cls(
            tuple(filings),
            tuple(sections),
            np.asarray(filing, dtype=np.int32),
            np.asarray(section, dtype=np.int32),
            np.asarray(page, dtype=np.int32),
            np.asarray(start, dtype=np.int64),
            np.asarray(end, dtype=np.int64),
        )

    def __len__(self) -> int:
        return len(self.filing)

    @overload
    def __getitem__(self, row: int) -> ChunkMetadata: ...

    @overload
    def __getitem__(self, row: slice) -> list[ChunkMetadata]: ...

    def __getitem__(self, row: int | slice) -> ChunkMetadata | list[ChunkMetadata]:
        if isinstance(row, slice):
            return [self._row(i) for i in range(*row.indices(len(self)))]
        return self._row(range(len(self))[row])

    def __iter__(self) -> Iterator[ChunkMetadata]:
        return (self._row(i) for i in range(len(self)))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and len(other) == len(self) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]  # compares by rows, like the list it replaces

    def _row(self, i: int) -> ChunkMetadata:
        page = int(self.page[i])
        values = dict(zip(FILING_FIELDS, self.filings[self.filing[i]], strict=True))
        values.update(zip(SECTION_FIELDS, self.sections[self.section[i]], strict=True))
        return ChunkMetadata(
            **values,
            page=None if page == NO_PAGE else page,
            char_start=int(self.char_start[i]),
            char_end=int(self.char_end[i]),
        )

    def representatives(self) -> list[ChunkMetadata]:
        """One row of each filing (its first chunk), in `filings` order: enough for anything per filing."""
        _, first = np.unique(self.filing, return_index=True)
        return [self._row(int(i)) for i in first]

    def per_filing(self, values: Sequence[Any] | np.ndarray) -> np.ndarray:
        """Spread one value per filing (in `filings` order) to every chunk."""
        return np.asarray(values)[self.filing]

    def level(self, field: str) -> tuple[list[Any], np.ndarray]:
        """A filing or section field: its value per filing (or section), and each chunk's code into them."""
        if field in FILING_FIELDS:
            at = FILING_FIELDS.index(field)
            return [f[at] for f in self.filings], self.filing
        at = SECTION_FIELDS.index(field)
        return [s[at] for s in self.sections], self.section
