"""Chunk metadata and search hits: the records the gateway cites."""

from dataclasses import asdict, dataclass, fields

AttributeValue = str | int | float | bool | None


@dataclass(frozen=True)
class ChunkMetadata:
    """Where a chunk comes from: filing identity, 10-K Item, page and character span."""

    doc_id: str
    ticker: str
    company: str
    cik: str
    form: str
    fiscal_year: int | None
    period_end: str | None
    filing_date: str | None
    accession: str | None
    item: str | None
    item_title: str | None
    page: int | None
    char_start: int
    char_end: int
    url: str | None
    source_file: str

    def attributes(self) -> dict[str, AttributeValue]:
        """Flat JSON-able dict, used as OpenAI vector-store `attributes`."""
        return asdict(self)

    @classmethod
    def field_names(cls) -> list[str]:
        """Names of the metadata fields in declaration order."""
        return [f.name for f in fields(cls)]


@dataclass(frozen=True)
class Hit:
    """One search result: FAISS id, similarity score, raw chunk text and its metadata."""

    id: int
    score: float
    text: str
    metadata: ChunkMetadata
    tokens: int | None = None  # embedding-model tokens of text, when the index recorded them
    # Why it ranked where it did (scores per stage), only when the search was asked to explain.
    explanation: dict[str, object] | None = None
