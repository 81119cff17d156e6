"""10-K Item detection on all 20 real filings."""

import itertools
import re

import pytest
from retriever.parsing.items import ITEM_ORDER, split_items

REQUIRED = ("1", "1A", "7", "8")
# Lower bounds in characters: every real filing's sections are far longer than a TOC line.
MIN_CHARS = {"1": 8_000, "1A": 30_000, "7": 10_000, "8": 40_000}
_HEADING = re.compile(r"^\s*item\s*(\d{1,2}[a-c]?)\b", re.IGNORECASE | re.MULTILINE)


def test_all_twenty_filings_are_parsed(parsed_corpus):
    assert len(parsed_corpus) == 20


@pytest.mark.parametrize("item", REQUIRED)
def test_required_items_found_with_plausible_length(parsed_corpus, item):
    problems = []
    for name, (_, doc) in sorted(parsed_corpus.items()):
        sections = [s for s in split_items(doc.text) if s.item == item]
        length = sum(s.end - s.start for s in sections)
        if not sections or length < MIN_CHARS[item]:
            problems.append(f"{name}: Item {item} length {length}")
    assert not problems, problems


def test_required_items_in_order_after_table_of_contents(parsed_corpus):
    for name, (_, doc) in sorted(parsed_corpus.items()):
        sections = split_items(doc.text)
        first = {}
        for s in sections:
            first.setdefault(s.item, s.start)
        starts = [first[i] for i in REQUIRED]
        assert starts == sorted(starts), name
        # The Item 1 body must not be the table of contents: no Item 7 heading right after it.
        opening = doc.text[first["1"] : first["1"] + 3000]
        assert not any(m.group(1).upper() == "7" for m in _HEADING.finditer(opening)), name


def test_sections_tile_the_document(parsed_corpus):
    for name, (_, doc) in parsed_corpus.items():
        sections = split_items(doc.text)
        assert sections[0].start == 0 and sections[-1].end == len(doc.text), name
        for a, b in itertools.pairwise(sections):
            assert a.end == b.start, name
        codes = [s.item for s in sections if s.item is not None]
        assert all(c in ITEM_ORDER for c in codes)


def test_section_titles_are_canonical(parsed_corpus):
    _, doc = parsed_corpus["META_FY2023_10K"]
    titles = {s.item: s.title for s in split_items(doc.text)}
    assert titles["1A"] == "Risk Factors"
    assert titles["7"].startswith("Management's Discussion")


def test_table_of_contents_only_text_yields_sections_from_body():
    toc = "\n".join(f"Item {c}. | Title {c} | {i}" for i, c in enumerate(ITEM_ORDER, start=3))
    body = "\n".join(f"Item {c}. Title {c}\n" + ("Body text. " * 300) for c in ITEM_ORDER)
    text = f"Cover\n{toc}\n{body}"
    sections = split_items(text)
    item1 = next(s for s in sections if s.item == "1")
    assert item1.start > len(toc)
    assert [s.item for s in sections[1:]] == list(ITEM_ORDER)


def test_cross_references_are_not_headings():
    text = (
        "Item 1. Business\n"
        + "x " * 2000
        + "\nItem 7 of this Form 10-K discusses results.\n"
        + "Item 1A. Risk Factors\n"
        + "y " * 2000
    )
    assert [s.item for s in split_items(text)] == ["1", "1A"]
