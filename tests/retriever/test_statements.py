"""Statement pages: which statement a page title names, which statements a question needs, and the search
that lifts those pages."""

import faiss
import numpy as np
import pytest
from retriever.hits import ChunkMetadata
from retriever.index import SearchIndex
from retriever.index.lexical import LexicalIndex
from retriever.index.store import ChunkStore
from retriever.statements import Statement, page_statement, question_statements


@pytest.mark.parametrize(
    ("title", "statement"),
    [
        ("3M Company and Subsidiaries / Consolidated Statement of Cash Flow / Years ended December 31", 3),
        ("3M Company and Subsidiaries / Consolidated Balance Shee / At December 31", 1),  # pypdf cut
        ("SUBSIDIARIESCONSOLIDATED / BALANCE / SHEETS / (In thousands)", 1),
        ("Walmart Inc. / Consolidated Statements of Income / Fiscal Years Ended January 31", 2),
        ("CONSOLIDATED STATEMENTS OF OPERATIONS (In millions, except per share amounts)", 2),
        ("Consolidated Statements of Financial Position", 1),
        ("Consolidated Statements of Comprehensive Income", 0),
        ("Index to Financial Statements / Consolidated Balance Sheets / Statements of Operations", 0),
        ("Management's Discussion and Analysis / Results of Operations", 0),
        ("Note 7. Debt / (dollars in millions)", 0),
        ("", 0),
    ],
)
def test_page_statement_from_its_title(title: str, statement: int):
    assert page_statement(title) == Statement(statement)


@pytest.mark.parametrize(
    ("question", "statements"),
    [
        ("What is the FY2018 capital expenditure amount (in USD millions) for 3M?", {Statement.CASH_FLOWS}),
        ("Is 3M a capital-intensive business in FY2022?", {Statement.CASH_FLOWS, Statement.BALANCE_SHEET}),
        ("Using the P&L statement, what is the FY2016 COGS for Microsoft?", {Statement.INCOME}),
        ("Has AMCOR's quick ratio improved between FY2022 and FY2023?", {Statement.BALANCE_SHEET}),
        ("Based on the balance sheet and the statement of income, what is Corning's DPO?",
         {Statement.BALANCE_SHEET, Statement.INCOME}),
        # Revenue and net income are discussed everywhere (segments, MD&A); alone they point at no statement.
        ("What was the primary driver of Apple's revenue growth in 2023?", set()),
        ("How many employees did Nvidia have at the end of fiscal 2024?", set()),
    ],
)  # fmt: skip
def test_question_statements(question: str, statements: set[Statement]):
    assert question_statements(question) == statements


def _meta(i: int) -> ChunkMetadata:
    return ChunkMetadata(
        doc_id="AAPL_FY2022_10K", ticker="AAPL", company="Apple Inc.", cik="320193", form="10-K",
        fiscal_year=2022, period_end="2022-09-24", filing_date=None, accession=None, item="8",
        item_title="Financial Statements", page=40 + i, char_start=0, char_end=100, url=None,
        source_file="AAPL_FY2022_10K.pdf",
    )  # fmt: skip


NARRATIVE = [
    "Capital expenditures were higher in 2022 as the Company invested in data centers and retail stores.",
    "The Company expects capital expenditures to grow to support new product introductions.",
    "Capital expenditures and other investing activities are funded from operating cash flows.",
    "Risk factors: capital expenditures for manufacturing equipment could exceed our estimates.",
]
CASH_FLOW_ROWS = (
    "Payments for acquisition of property, plant and equipment (10,708) (11,085) (7,309) "
    "Payments made in connection with business acquisitions, net (306) (33) (1,524)"
)


def _index(embedder, titles: list[str]) -> SearchIndex:
    texts = [*NARRATIVE, CASH_FLOW_ROWS]
    vectors = embedder.embed_documents(texts)
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    store = ChunkStore(texts, [_meta(i) for i in range(len(texts))], [str(i) for i in range(len(texts))],
                       page_titles=titles)  # fmt: skip
    return SearchIndex(None, None, embedder, store, flat, vectors, LexicalIndex.build(texts))  # type: ignore[arg-type]


def _rank(index: SearchIndex, question: str, chunk: int) -> int:
    # The first stage's fusion, which this file is about; the learned second stage is tested elsewhere.
    return [hit.id for hit in index.search(question, k=len(index), rerank=False)].index(chunk) + 1


def test_a_question_needing_the_cash_flow_statement_lifts_its_page(embedder):
    question = "What were Apple's capital expenditures in fiscal 2022?"
    untitled = _index(embedder, [""] * 5)
    titled = _index(embedder, ["Management's Discussion"] * 4 + ["Consolidated Statements of Cash Flows"])
    # The table shares no word with the question: last on its own, in the top three with the statement.
    assert _rank(untitled, question, 4) == 5
    assert _rank(titled, question, 4) <= 3
    # A question that needs no statement searches exactly as before.
    other = "What did the Company say about data centers and retail stores?"
    assert [h.id for h in titled.search(other, k=5)] == [h.id for h in untitled.search(other, k=5)]


def test_dense_only_search_has_no_statement_ranking(embedder):
    titled = _index(embedder, ["Management's Discussion"] * 4 + ["Consolidated Statements of Cash Flows"])
    titled.lexical = None
    question = "What were Apple's capital expenditures in fiscal 2022?"
    vector = embedder.embed_queries([question])[0]
    dense_order = list(np.argsort(-(titled.vectors @ vector), kind="stable"))
    assert [h.id for h in titled.search(question, k=5)] == dense_order
