"""Forms other than 10-K (FinanceBench 8-K, 10-Q, earnings release PDFs) index as page sections."""

from pathlib import Path

import pytest
from retriever.chunking import ChunkerParams
from retriever.ingest import chunk_document
from retriever.parsing import parse_file
from retriever.sources.local import SourceDocument

CASES = (
    ("PEPSICO_2023_8K_dated-2023-05-05.pdf", "8-K"),
    ("ULTABEAUTY_2023Q4_EARNINGS.pdf", "EARNINGS"),
)


@pytest.mark.parametrize(("name", "form"), CASES)
def test_non_10k_pdfs_chunk_by_page(shared_dir: Path, embedder, name: str, form: str):
    path = shared_dir / "eval" / "financebench" / "pdfs" / name
    doc = SourceDocument(
        path=path,
        ticker="X",
        company=name.split("_")[0].title(),
        cik="1",
        form=form,
        fiscal_year=2023,
        period_end=None,
        filing_date=None,
        accession=None,
        url=None,
        format="pdf",
    )
    parsed = parse_file(path)
    records = chunk_document(doc, parsed, embedder, ChunkerParams())
    assert records
    for r in records:
        m = r.metadata
        assert m.item is None and m.item_title == f"Page {m.page}"
        assert r.text == parsed.text[m.char_start : m.char_end]
    assert records[0].embed_text.startswith(f"{doc.company} (X) {form} fiscal 2023 - Page 1\n")
