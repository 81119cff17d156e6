"""Chunk invariants on real filings: spans, token limits, Item boundaries, overlap, metadata."""

import itertools

import pytest
from retriever.chunking import ChunkerParams
from retriever.ingest import chunk_document
from retriever.parsing.sections import sectionize

DOCS = ("AAPL_FY2024_10K", "MSFT_FY2023_10K", "NVDA_FY2023_10K")


@pytest.fixture(scope="module")
def chunked(parsed_cache, embedder):
    params = ChunkerParams(chunk_tokens=200, overlap_tokens=48)
    parsed = parsed_cache.get(DOCS)
    return {name: (parsed[name], chunk_document(*parsed[name], embedder, params)) for name in DOCS}


@pytest.mark.parametrize("name", DOCS)
def test_chunk_text_is_the_document_span(chunked, name):
    (_, doc), records = chunked[name]
    assert len(records) > 100
    for r in records:
        assert r.text == doc.text[r.metadata.char_start : r.metadata.char_end]
        assert r.text.strip()


@pytest.mark.parametrize("name", DOCS)
def test_chunks_never_cross_an_item_boundary(chunked, name):
    (src, doc), records = chunked[name]
    sections = sectionize(doc, src.form)
    for r in records:
        m = r.metadata
        inside = [s for s in sections if s.start <= m.char_start and m.char_end <= s.end]
        assert inside, (m.char_start, m.char_end)
        assert inside[0].item == m.item


@pytest.mark.parametrize("name", DOCS)
def test_chunks_fit_the_model_window(chunked, name, embedder):
    _, records = chunked[name]
    for r in records:
        assert embedder.count_tokens(r.text) <= 200 + 2  # word-piece joins at span edges
        assert embedder.count_tokens(r.embed_text) + 2 <= embedder.max_seq_length


def test_consecutive_chunks_overlap_within_a_section(chunked):
    _, records = chunked["AAPL_FY2024_10K"]
    pairs = [(a, b) for a, b in itertools.pairwise(records) if a.metadata.item == b.metadata.item]
    overlapping = [a for a, b in pairs if b.metadata.char_start < a.metadata.char_end]
    assert len(overlapping) > 0.5 * len(pairs)
    assert all(b.metadata.char_start > a.metadata.char_start for a, b in pairs)


def test_every_sentence_of_item_7_is_in_some_chunk(chunked):
    (src, doc), records = chunked["AAPL_FY2024_10K"]
    item7 = next(s for s in sectionize(doc, src.form) if s.item == "7")
    spans = [(r.metadata.char_start, r.metadata.char_end) for r in records if r.metadata.item == "7"]
    covered = set()
    for a, b in spans:
        covered.update(range(a, b))
    body = [i for i in range(item7.start, item7.end) if not doc.text[i].isspace()]
    assert len([i for i in body if i in covered]) / len(body) > 0.999


def test_metadata_and_context_header(chunked):
    _, records = chunked["MSFT_FY2023_10K"]
    r = next(r for r in records if r.metadata.item == "1A")
    m = r.metadata
    assert (m.ticker, m.company, m.cik, m.form, m.fiscal_year) == (
        "MSFT",
        "Microsoft Corporation",
        "789019",
        "10-K",
        2023,
    )
    assert m.item_title == "Risk Factors" and m.page is not None and m.source_file == "MSFT_FY2023_10K.pdf"
    assert r.embed_text.startswith("Microsoft Corporation (MSFT) 10-K fiscal 2023 - Item 1A. Risk Factors\n")
    assert r.embed_text.endswith(r.text)
    attrs = m.attributes()
    assert attrs["ticker"] == "MSFT" and attrs["fiscal_year"] == 2023
