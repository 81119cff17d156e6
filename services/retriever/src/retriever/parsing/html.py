"""EDGAR (inline-XBRL) HTML → clean text: hidden content dropped, tables as `Label | v1 | v2` rows."""

import re

import lxml.html
from lxml import etree
from retriever.parsing.document import PAGE_BREAK, ParsedDocument
from retriever.parsing.text_cleanup import normalize_block, normalize_inline

_BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "section",
        "article",
        "center",
        "blockquote",
        "dd",
        "dt",
        "dl",
        "pre",
        "hr",
        "body",
        "form",
        "header",
        "footer",
    }
)
_SKIP_TAGS = frozenset({"head", "script", "style", "title", "meta", "link", "ix:header", "noscript"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none", re.IGNORECASE)
_PAGE_BREAK_STYLE = re.compile(r"(page-)?break-(after|before)\s*:\s*(always|page)", re.IGNORECASE)
# Cells that only carry a currency sign, a closing parenthesis or a percent sign belong to a neighbour.
_PREFIX_CELL = re.compile(r"^[$€£¥(]+$")
_SUFFIX_CELL = re.compile(r"^(\)|%|\)%|%\))+$")
# Line breaks inside HTML text are plain whitespace; only block elements start new lines.
_SOURCE_BREAKS = re.compile(r"[\r\n\t\f]+")


def parse_html(raw: bytes) -> ParsedDocument:
    """Parse HTML bytes into text, splitting pages at CSS page breaks."""
    root = lxml.html.fromstring(raw)
    out: list[str] = []
    _emit(root, out)
    pages = [normalize_block(p) for p in "".join(out).split(PAGE_BREAK)]
    pages = [p for p in pages if p]
    return ParsedDocument.from_pages(pages, paginated=len(pages) > 1)


def _tag(el: etree._Element) -> str:
    tag = el.tag
    return tag.lower() if isinstance(tag, str) else ""


def _is_hidden(el: etree._Element) -> bool:
    style = el.get("style")
    return bool(style and _HIDDEN_STYLE.search(style))


def _emit(el: etree._Element, out: list[str]) -> None:
    """Append the visible text of el (not its tail) to out."""
    tag = _tag(el)
    if not tag or tag in _SKIP_TAGS or _is_hidden(el):
        return
    if tag == "table":
        out.append("\n")
        out.extend(_table_rows(el))
        out.append("\n")
        return
    style = el.get("style") or ""
    is_block = tag in _BLOCK_TAGS
    if _PAGE_BREAK_STYLE.search(style) and "before" in style.lower():
        out.append(PAGE_BREAK)
    if is_block:
        out.append("\n")
    if el.text:
        out.append(_SOURCE_BREAKS.sub(" ", el.text))
    for child in el:
        _emit(child, out)
        if child.tail:
            out.append(_SOURCE_BREAKS.sub(" ", child.tail))
    if is_block:
        out.append("\n")
    if _PAGE_BREAK_STYLE.search(style) and "after" in style.lower():
        out.append(PAGE_BREAK)


def _cell_text(cell: etree._Element) -> str:
    parts: list[str] = []
    _emit(cell, parts)
    return normalize_inline(" ".join("".join(parts).split("\n")))


def _table_rows(table: etree._Element) -> list[str]:
    rows: list[str] = []
    for tr in table.iter("tr"):
        if _is_hidden(tr):
            continue
        cells = [_cell_text(td) for td in tr if _tag(td) in {"td", "th"} and not _is_hidden(td)]
        merged = _merge_cells([c for c in cells if c])
        if merged:
            rows.append(" | ".join(merged) + "\n")
    return rows


def _merge_cells(cells: list[str]) -> list[str]:
    """Glue `$` to the following value and `)`/`%` to the preceding one."""
    merged: list[str] = []
    pending_prefix = ""
    for cell in cells:
        if _PREFIX_CELL.match(cell):
            pending_prefix += cell
            continue
        if _SUFFIX_CELL.match(cell) and merged:
            merged[-1] += cell
            continue
        merged.append(pending_prefix + cell)
        pending_prefix = ""
    if pending_prefix:
        merged.append(pending_prefix)
    return merged
