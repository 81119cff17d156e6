"""Primary financial statements: which one a PDF page shows, and which ones a question is about.

Questions about a reported figure ("FY2018 capex", "accounts payable per the balance sheet") are answered by a
statement table whose rows (labels and numbers) share few words with the question; knowing that the question
needs the cash flow statement and which pages are that statement lets search rank those pages on their own.
The question side is a lexicon of statement names and the usual line items and ratios (`statement_terms.csv`).
"""

import csv
import re
from collections.abc import Sequence
from enum import IntEnum
from functools import cache, lru_cache
from importlib import resources

import numpy as np


class Statement(IntEnum):
    """A primary statement; 0 marks a page that is none (or several, like an index of statements)."""

    NONE = 0
    BALANCE_SHEET = 1
    INCOME = 2
    CASH_FLOWS = 3


_STATEMENT_NAMES = {
    "balance_sheet": Statement.BALANCE_SHEET,
    "income": Statement.INCOME,
    "cash_flows": Statement.CASH_FLOWS,
}
_OF = r"statements?\s+of\s+(?:consolidated\s+)?"
# pypdf sometimes splits a title's last letters onto the next line ("Balance Shee / t"), hence the stems.
_TITLES = {
    Statement.CASH_FLOWS: re.compile(rf"{_OF}cash\s*flow|cash\s*flows?\s+statement", re.IGNORECASE),
    Statement.BALANCE_SHEET: re.compile(
        rf"balance\s+shee|{_OF}financial\s+(?:position|condition)", re.IGNORECASE
    ),
    Statement.INCOME: re.compile(rf"{_OF}(?:income|operations|earnings)|income\s+statement", re.IGNORECASE),
}


def page_statement(title: str) -> Statement:
    """The statement a page title names; NONE for other pages and for titles naming several statements."""
    flat = " ".join(title.replace("/", " ").split())
    found = [statement for statement, pattern in _TITLES.items() if pattern.search(flat)]
    return found[0] if len(found) == 1 else Statement.NONE


def page_statements(titles: Sequence[str]) -> np.ndarray:
    """`page_statement` of each title as a uint8 column (row i = chunk i)."""
    by_title: dict[str, int] = {}
    codes = [by_title.setdefault(t, int(page_statement(t))) if t else 0 for t in titles]
    return np.asarray(codes, dtype=np.uint8)


def _phrase_pattern(phrase: str) -> str:
    words = [re.escape(word) for word in phrase.split()]
    # A plural or possessive ending still counts ("capital expenditures", "gross margins").
    return r"(?<![\w&])" + r"[\s-]+".join(words) + r"(?:s|es|'s)?(?![\w&])"


@cache
def _question_patterns() -> dict[Statement, re.Pattern[str]]:
    text = resources.files("retriever").joinpath("statement_terms.csv").read_text(encoding="utf-8")
    phrases: dict[Statement, list[str]] = {}
    for row in csv.DictReader(text.splitlines()):
        phrases.setdefault(_STATEMENT_NAMES[row["statement"]], []).append(row["phrase"])
    return {
        statement: re.compile("|".join(_phrase_pattern(p) for p in sorted(ps, key=len, reverse=True)), re.I)
        for statement, ps in phrases.items()
    }


@lru_cache(maxsize=4096)  # both search stages ask for the same question's statements
def question_statements(question: str) -> frozenset[Statement]:
    """The statements whose names, line items or ratios the question mentions."""
    return frozenset(s for s, pattern in _question_patterns().items() if pattern.search(question))
