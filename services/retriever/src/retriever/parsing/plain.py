"""Plain-text files: decode, normalise, split pages on form feeds."""

from retriever.parsing.document import PAGE_BREAK, ParsedDocument
from retriever.parsing.text_cleanup import normalize_block


def parse_text(raw: bytes) -> ParsedDocument:
    """Decode bytes (UTF-8, falling back to Latin-1) into a ParsedDocument."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    pages = [normalize_block(p) for p in text.split(PAGE_BREAK)]
    return ParsedDocument.from_pages(pages, paginated=len(pages) > 1)
