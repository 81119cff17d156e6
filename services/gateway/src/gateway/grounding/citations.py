"""`[n]` markers in an answer, resolved against the numbered sources, as OpenAI `url_citation` annotations."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_MARKER = re.compile(r"\[(\d{1,3})\]")

SourceLike = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Marker:
    """One `[n]` in the answer: its span (the brackets included) and the source number it names."""

    start: int
    end: int
    number: int


def citation_markers(text: str) -> list[Marker]:
    """Every `[n]` marker of a text, in order."""
    return [Marker(m.start(), m.end(), int(m[1])) for m in _MARKER.finditer(text)]


def sources_by_number(sources: Sequence[SourceLike]) -> dict[int, SourceLike]:
    """Sources keyed by the `[n]` number they are cited with."""
    return {int(source["index"]): source for source in sources}


def unknown_citations(text: str, sources: Sequence[SourceLike]) -> list[int]:
    """Numbers cited that name no source, each once, in order of first appearance."""
    known = sources_by_number(sources)
    return list(dict.fromkeys(m.number for m in citation_markers(text) if m.number not in known))


def source_url(source: SourceLike, files_url: str) -> str:
    """The filing's URL, else the gateway's own copy (`{files_url}/{file_id}/content`), plus `#page=N`.

    Most local filings have no EDGAR URL; the gateway serves every indexed filing under its file id.
    """
    url = source.get("url") or f"{files_url.rstrip('/')}/{source.get('file_id')}/content"
    page = source.get("page")
    return f"{url}#page={page}" if page is not None else str(url)


def source_title(source: SourceLike) -> str:
    """A human label such as "AAPL 10-K FY2024, Item 7, p. 26"."""
    head = " ".join(
        str(part)
        for part in (
            source.get("ticker") or source.get("company"),
            source.get("form"),
            f"FY{source['fiscal_year']}" if source.get("fiscal_year") else None,
        )
        if part
    )
    parts = [head] if head else []
    if source.get("item"):
        parts.append(f"Item {source['item']}")
    if source.get("page") is not None:
        parts.append(f"p. {source['page']}")
    return ", ".join(parts) or f"Source [{source.get('index')}]"


def find_citations(text: str, sources: Sequence[SourceLike], files_url: str) -> list[dict[str, Any]]:
    """One `url_citation` annotation per marker that names a source; the indexes delimit the marker."""
    known = sources_by_number(sources)
    annotations: list[dict[str, Any]] = []
    for marker in citation_markers(text):
        source = known.get(marker.number)
        if source is None or not (source.get("url") or source.get("file_id")):
            continue
        annotations.append(
            {
                "type": "url_citation",
                "url_citation": {
                    "start_index": marker.start,
                    "end_index": marker.end,
                    "url": source_url(source, files_url),
                    "title": source_title(source),
                },
            }
        )
    return annotations
