"""HTML and PDF parsing on real filings and small synthetic documents."""

from pathlib import Path

import pytest
from retriever.parsing.document import UnreadableFileError, parse_file
from retriever.parsing.html import parse_html
from retriever.parsing.sections import sectionize


def test_html_drops_inline_xbrl_header_and_hidden_content():
    raw = (
        b"<html><body><div style='display:none'><ix:header><ix:hidden>dei:Secret 0000320193</ix:hidden>"
        b"</ix:header></div><p>Visible&nbsp;text &amp; more</p><span style='display: none'>hidden</span>"
        b"<p>Next\n   paragraph</p></body></html>"
    )
    text = parse_html(raw).text
    assert "Secret" not in text and "hidden" not in text
    assert "Visible text & more" in text
    assert "Next paragraph" in text


def test_html_tables_become_pipe_rows():
    raw = (
        b"<table><tr><td>Total net sales</td><td>$</td><td>394,328</td><td></td>"
        b"<td>$</td><td>365,817</td></tr>"
        b"<tr><td>Change</td><td>(3</td><td>)%</td></tr></table>"
    )
    lines = parse_html(raw).text.splitlines()
    assert "Total net sales | $394,328 | $365,817" in lines
    assert "Change | (3)%" in lines


def test_real_html_filing_has_clean_table_rows(parsed_cache):
    _, doc = parsed_cache.get(["AAPL_FY2024_10K"])["AAPL_FY2024_10K"]
    assert "Total net sales | $391,035 | 2% | $383,285 | (3)% | $394,328" in doc.text
    assert "dei:" not in doc.text and "&nbsp;" not in doc.text and "\xa0" not in doc.text
    assert doc.paginated and len(doc.page_starts) > 40


def test_pdf_keeps_page_numbers(parsed_cache, corpus_dir):
    from pypdf import PdfReader

    _, doc = parsed_cache.get(["MSFT_FY2023_10K"])["MSFT_FY2023_10K"]
    pages = len(PdfReader(corpus_dir / "MSFT_FY2023_10K.pdf").pages)
    assert len(doc.page_starts) == pages
    assert doc.page_at(0) == 1
    assert doc.page_at(doc.page_starts[-1]) == pages
    assert doc.page_at(len(doc.text) - 1) in (pages - 1, pages)  # the last page may be blank
    offset = doc.text.find("ITEM 1A.")
    assert offset > 0 and 1 < doc.page_at(offset) < pages


def test_non_10k_forms_fall_back_to_page_sections(parsed_cache):
    _, doc = parsed_cache.get(["MSFT_FY2023_10K"])["MSFT_FY2023_10K"]
    sections = sectionize(doc, "8-K")
    assert sections[0].title == "Page 1" and all(s.item is None for s in sections)


def test_unreadable_pdf_raises(tmp_path: Path):
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.4 this is not really a pdf")
    with pytest.raises(UnreadableFileError, match=r"broken\.pdf"):
        parse_file(bad)


def test_parse_cache_reuses_identical_files(tmp_path: Path, corpus_dir: Path, monkeypatch):
    from retriever.parsing import cache as parse_cache

    source = corpus_dir / "AAPL_FY2024_10K.html"
    first = parse_cache.parse_cached(source, "html", tmp_path)
    monkeypatch.setattr(parse_cache, "parse_file", lambda *a: pytest.fail("parsed again"))
    second = parse_cache.parse_cached(source, "html", tmp_path)
    assert second == first
