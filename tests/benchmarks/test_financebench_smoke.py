"""Smoke test of the FinanceBench evaluation: manifest, search and scoring on tiny inputs."""

import numpy as np
import pytest
from retriever.hits import ChunkMetadata
from retriever.index.lexical import LexicalIndex
from retriever.index.store import ChunkStore

from benchmarks.financebench.chunk_table import ChunkTable
from benchmarks.financebench.companies import load_companies
from benchmarks.financebench.documents import period_end
from benchmarks.financebench.evaluate import evaluate
from benchmarks.financebench.metrics import score
from benchmarks.financebench.questions import EvalQuestion
from benchmarks.financebench.search import SearchConfig


def _meta(doc_id: str, ticker: str, year: int, page: int) -> ChunkMetadata:
    return ChunkMetadata(
        doc_id,
        ticker,
        ticker,
        "",
        "10-K",
        year,
        None,
        None,
        None,
        None,
        None,
        page,
        0,
        1,
        None,
        f"{doc_id}.pdf",
    )


def test_period_end_follows_the_fiscal_calendar() -> None:
    companies = {c.ticker: c for c in load_companies()}
    assert period_end(companies["AMCR"], "AMCOR_2023Q2_10Q", "10q", 2023) == "2022-12-31"
    assert period_end(companies["ULTA"], "ULTABEAUTY_2023Q4_EARNINGS", "earnings", 2023) == "2024-01-31"
    assert period_end(companies["PEP"], "PEPSICO_2023_8K_dated-2023-05-30", "8k", 2023) == "2023-05-30"


def test_scoring_counts_first_evidence_page_within_k() -> None:
    s = score([1, 3, None, 7], [1, 1, 2, 1])
    assert s.recall == {1: 0.25, 5: 0.5, 10: 0.75}
    assert s.mrr == pytest.approx((1 + 1 / 3 + 1 / 7) / 4)


def test_evaluate_on_a_tiny_table() -> None:
    texts = [
        "cash flow statement capital expenditures",
        "risk factors competition",
        "balance sheet inventories",
    ]
    metadata = [
        _meta("KO_2017", "KO", 2017, 60),
        _meta("KO_2017", "KO", 2017, 20),
        _meta("PEP_2022", "PEP", 2022, 50),
    ]
    vectors = np.eye(3, 8, dtype=np.float32)
    titles = ["Consolidated Statements of Cash Flows", "Risk Factors", "Consolidated Balance Sheets"]
    store = ChunkStore(texts, metadata, ["h0", "h1", "h2"], page_titles=titles)
    lexical = LexicalIndex.build(texts)
    table = ChunkTable(
        "tiny", texts, metadata, vectors, lexical, store.columns, {}, np.ones(3, bool), store.statements
    )
    question = EvalQuestion(
        "q", "Coca-Cola capital expenditures", "KO_2017", "KO_2017", frozenset({59}), "KO", 2017, "10-K", ""
    )
    queries = np.eye(1, 8, dtype=np.float32)
    configs = (
        SearchConfig("h"),
        SearchConfig("d", mode="dense"),
        SearchConfig("p", one_per_page=True),
        SearchConfig("s", statements=True),
    )
    for config in configs:
        run = evaluate("tiny", table, [question], queries, config, "none", lambda q: None)
        assert run.scores.recall[1] == 1.0
    filtered = evaluate(
        "tiny",
        table,
        [question],
        queries,
        SearchConfig("h"),
        "pep",
        lambda q: {"type": "eq", "key": "ticker", "value": "PEP"},
    )
    assert filtered.scores.recall[10] == 0.0 and filtered.scores.doc_recall[10] == 0.0


def test_shared_manifest_dedupes_and_keeps_129_questions() -> None:
    from benchmarks.financebench.documents import shared_corpus
    from benchmarks.financebench.questions import load_questions

    corpus = shared_corpus()
    assert len(corpus.documents) == 93
    assert corpus.canonical("MICROSOFT_2023_10K") == "MSFT_FY2023_10K"
    assert len(load_questions(corpus)) == 129


def test_dense_runs_skip_questions_whose_candidates_lack_vectors() -> None:
    texts = ["capital expenditures", "inventories"]
    metadata = [_meta("KO_2017", "KO", 2017, 60), _meta("PEP_2022", "PEP", 2022, 50)]
    store = ChunkStore(texts, metadata, ["h0", "h1"])
    has_vector = np.array([True, False])
    table = ChunkTable(
        "t",
        texts,
        metadata,
        np.eye(2, 8, dtype=np.float32),
        LexicalIndex.build(texts),
        store.columns,
        {},
        has_vector,
        store.statements,
    )
    question = EvalQuestion(
        "q", "capital expenditures", "KO_2017", "KO_2017", frozenset({59}), "KO", 2017, "10-K", ""
    )
    queries = np.eye(1, 8, dtype=np.float32)
    dense = SearchConfig("d", mode="dense")
    assert evaluate("t", table, [question], queries, dense, "none", lambda q: None).scores.n == 0
    only_ko = evaluate(
        "t", table, [question], queries, dense, "ko", lambda q: {"type": "eq", "key": "ticker", "value": "KO"}
    )
    assert only_ko.scores.n == 1 and only_ko.scores.recall[1] == 1.0
