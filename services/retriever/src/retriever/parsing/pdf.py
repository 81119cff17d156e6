"""PDF → text page by page with pypdf, keeping page numbers."""

import logging
from pathlib import Path

from pypdf import PdfReader
from retriever.parsing.document import ParsedDocument, UnreadableFileError
from retriever.parsing.text_cleanup import normalize_block

logger = logging.getLogger(__name__)


def parse_pdf(path: Path) -> ParsedDocument:
    """Extract each page's text; page i of the result is pypdf page i (1-based in metadata)."""
    reader = PdfReader(path)
    # Many EDGAR-derived PDFs are "encrypted" with an empty owner password only.
    if reader.is_encrypted and not reader.decrypt(""):
        raise UnreadableFileError(f"{path.name}: encrypted PDF")
    pages = [normalize_block(page.extract_text() or "") for page in reader.pages]
    if not any(pages):
        raise UnreadableFileError(f"{path.name}: PDF has no text layer")
    logger.debug("parsed %s: %d pages", path.name, len(pages))
    return ParsedDocument.from_pages(pages)
