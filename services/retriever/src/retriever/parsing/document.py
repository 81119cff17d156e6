"""Parsed document model and the file-type dispatch."""

import bisect
from dataclasses import dataclass, field
from pathlib import Path

PAGE_BREAK = "\f"


@dataclass(frozen=True)
class ParsedDocument:
    """Clean text of one file plus the character offset where each page starts."""

    text: str
    page_starts: list[int] = field(default_factory=lambda: [0])
    paginated: bool = False

    def page_at(self, offset: int) -> int | None:
        """1-based page number containing a character offset (None when the source has no pages)."""
        if not self.paginated:
            return None
        return bisect.bisect_right(self.page_starts, offset)

    @classmethod
    def from_pages(cls, pages: list[str], *, paginated: bool = True) -> "ParsedDocument":
        """Join page texts with blank lines, remembering where each page starts."""
        starts: list[int] = []
        parts: list[str] = []
        offset = 0
        for page in pages:
            starts.append(offset)
            parts.append(page)
            offset += len(page) + 2
        return cls(text="\n\n".join(parts), page_starts=starts or [0], paginated=paginated)


class UnreadableFileError(Exception):
    """A source file could not be parsed into any text."""


def parse_file(path: Path, fmt: str | None = None) -> ParsedDocument:
    """Parse an HTML, PDF or text file by its declared format or its suffix."""
    from retriever.parsing.html import parse_html
    from retriever.parsing.pdf import parse_pdf
    from retriever.parsing.plain import parse_text

    kind = (fmt or path.suffix.lstrip(".")).lower()
    try:
        if kind in {"html", "htm", "xhtml", "xml"}:
            doc = parse_html(path.read_bytes())
        elif kind == "pdf":
            doc = parse_pdf(path)
        else:
            doc = parse_text(path.read_bytes())
    except UnreadableFileError:
        raise
    except (OSError, ValueError) as exc:
        raise UnreadableFileError(f"{path.name}: {exc}") from exc
    except Exception as exc:  # pypdf and lxml raise many library-specific types on corrupt input
        raise UnreadableFileError(f"{path.name}: {type(exc).__name__}: {exc}") from exc
    if len(doc.text.strip()) < 20:
        raise UnreadableFileError(f"{path.name}: no extractable text")
    return doc
