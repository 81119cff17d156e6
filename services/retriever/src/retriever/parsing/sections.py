"""Fallback sectioning for forms without 10-K Items: pages, else heading-like lines."""

import re

from retriever.parsing.document import ParsedDocument
from retriever.parsing.items import Section, split_items

_HEADING_LINE = re.compile(r"^[ \t]*([A-Z][A-Za-z0-9 ,&'()/\-]{2,80})[ \t]*$", re.MULTILINE)
_MIN_SECTION = 400


def sectionize(doc: ParsedDocument, form: str) -> list[Section]:
    """10-K Items when the form is a 10-K and headings are found; otherwise page or heading sections."""
    if form.upper().startswith("10-K"):
        items = split_items(doc.text)
        if items:
            return items
    if doc.paginated and len(doc.page_starts) > 1:
        return _page_sections(doc)
    return _heading_sections(doc.text)


def _page_sections(doc: ParsedDocument) -> list[Section]:
    ends = [*doc.page_starts[1:], len(doc.text)]
    return [
        Section(None, f"Page {i}", start, end)
        for i, (start, end) in enumerate(zip(doc.page_starts, ends, strict=True), start=1)
        if doc.text[start:end].strip()
    ]


def _heading_sections(text: str) -> list[Section]:
    cuts: list[tuple[int, str]] = [(0, "Document")]
    for m in _HEADING_LINE.finditer(text):
        title = m.group(1).strip()
        # Short title-like lines only count when the previous section would not be tiny.
        if title.endswith((".", ",")) or m.start() - cuts[-1][0] < _MIN_SECTION:
            continue
        cuts.append((m.start(), title))
    ends = [pos for pos, _ in cuts[1:]] + [len(text)]
    return [Section(None, title, start, end) for (start, title), end in zip(cuts, ends, strict=True)]
