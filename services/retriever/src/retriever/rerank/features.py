"""Features of first-stage candidates that a learned fusion weighs: stage scores, ranks and query matches.

Everything here is cheap: the stage scores are already computed, the per-chunk columns (numeric density,
latest filing) are computed once per index version, and the text matches look at ~50 short chunks.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from retriever.hits import ChunkMetadata
from retriever.query_analysis import QueryAnalysis

FEATURES: tuple[str, ...] = (
    "dense",
    "dense_rrf",
    "bm25_rel",
    "bm25_rrf",
    "statement_rrf",
    "item_rrf",
    "rrf",
    "first_stage_rank",
    "ticker_match",
    "year_match",
    "year_covers",
    "latest_filing",
    "item_match",
    "statement_match",
    "figure_question",
    "numeric_density",
    "figure_x_numeric",
    "term_coverage",
    "bigram_coverage",
    "title_overlap",
    "log_tokens",
    "in_item_1",
    "in_item_1a",
    "in_item_7",
    "in_item_8",
    "in_no_item",
)
# Where evidence usually sits differs by section (business overview, risks, MD&A, statements); one flag each.
_ITEM_FLAGS = {"in_item_1": "1", "in_item_1a": "1A", "in_item_7": "7", "in_item_8": "8", "in_no_item": ""}
_TERM = re.compile(r"[a-z][a-z0-9&-]{2,}")
_STOP = frozenset(
    [
        "the",
        "and",
        "for",
        "are",
        "was",
        "were",
        "what",
        "which",
        "who",
        "whom",
        "how",
        "why",
        "when",
        "where",
        "with",
        "from",
        "that",
        "this",
        "those",
        "these",
        "their",
        "its",
        "his",
        "her",
        "our",
        "your",
        "has",
        "have",
        "had",
        "did",
        "does",
        "do",
        "been",
        "being",
        "into",
        "onto",
        "than",
        "then",
        "them",
        "they",
        "there",
        "about",
        "over",
        "under",
        "per",
        "each",
        "much",
        "many",
        "more",
        "most",
        "less",
        "least",
        "company",
        "company's",
        "fiscal",
        "year",
        "years",
        "report",
        "annual",
        "filing",
        "10-k",
        "inc",
        "corporation",
        "corp",
    ]
)
# Questions after a reported number or a ratio built from one.
_FIGURE_QUESTION = re.compile(
    r"\b(?:how\s+much|how\s+many|what\s+(?:was|were|is|are)\s+(?:the\s+)?(?:total|net|gross|amount)|"
    r"ratio|margin|percent|percentage|%|amount|total|revenue|income|expenses?|cash|capex|capital\s+expenditure|"
    r"earnings|eps|dividends?|assets|liabilit|debt|growth|rate|turnover|days)\b",
    re.IGNORECASE,
)
_STEM = 6  # query terms match chunk words sharing their first letters ("revenues" ~ "revenue")


@dataclass(frozen=True)
class StageOutputs:
    """What the first stage computed for the candidates, aligned with their ids."""

    dense: np.ndarray
    bm25: np.ndarray
    rrf: np.ndarray
    rrf_by_list: Mapping[str, np.ndarray]


def query_terms(query: str) -> tuple[str, ...]:
    """Distinct content terms of the query, cut to a stem."""
    seen: dict[str, None] = {}
    for term in _TERM.findall(query.lower()):
        if term not in _STOP:
            seen.setdefault(term[:_STEM], None)
    return tuple(seen)


def query_bigrams(query: str) -> tuple[str, ...]:
    """Adjacent word pairs of the query with at least one content word ("net sales", "share repurchase")."""
    words = _TERM.findall(query.lower())
    pairs = {f"{a} {b[:_STEM]}": None for a, b in pairwise(words) if a not in _STOP or b not in _STOP}
    return tuple(pairs)


def _coverage(terms: Sequence[str], lowered: Sequence[str]) -> np.ndarray:
    """Share of the terms each (lower-cased) text contains: one regex scan per text."""
    if not terms:
        return np.zeros(len(lowered), dtype=np.float32)
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)))
    return np.fromiter(
        (len(set(pattern.findall(text))) / len(terms) for text in lowered),
        dtype=np.float32,
        count=len(lowered),
    )


def candidate_features(
    analysis: QueryAnalysis,
    query: str,
    metadata: Sequence[ChunkMetadata],
    texts: Sequence[str],
    titles: Sequence[str],
    statements: np.ndarray,
    wanted_statements: frozenset[int],
    numeric_density: np.ndarray,
    latest_filing: np.ndarray,
    tokens: np.ndarray,
    stages: StageOutputs,
) -> dict[str, np.ndarray]:
    """One array per FEATURES name, aligned with the candidates."""
    n = len(metadata)
    f32 = np.float32
    rank = np.arange(n, dtype=f32)
    bm25_max = float(stages.bm25.max()) if n and stages.bm25.max() > 0 else 1.0
    tickers = set(analysis.tickers)
    year = analysis.fiscal_year
    years = np.array([np.nan if m.fiscal_year is None else m.fiscal_year for m in metadata], dtype=np.float64)
    items = set(analysis.items)
    figure = float(_FIGURE_QUESTION.search(query) is not None)
    terms = query_terms(query)
    lowered = [t.lower() for t in texts]
    return {
        "dense": stages.dense.astype(f32),
        "dense_rrf": stages.rrf_by_list.get("dense", np.zeros(n, f32)) * 60,
        "bm25_rel": (stages.bm25 / bm25_max).astype(f32),
        "bm25_rrf": stages.rrf_by_list.get("bm25", np.zeros(n, f32)) * 60,
        "statement_rrf": stages.rrf_by_list.get("statement", np.zeros(n, f32)) * 60,
        "item_rrf": stages.rrf_by_list.get("item", np.zeros(n, f32)) * 60,
        "rrf": (stages.rrf * 60).astype(f32),
        "first_stage_rank": np.log1p(rank),
        "ticker_match": np.array([m.ticker.upper() in tickers for m in metadata], dtype=f32),
        "year_match": (years == year).astype(f32) if year is not None else np.zeros(n, f32),
        "year_covers": ((years > year) & (years <= year + 2)).astype(f32)
        if year is not None
        else np.zeros(n, f32),
        "latest_filing": latest_filing.astype(f32) * float(year is None),
        "item_match": np.array([(m.item or "").upper() in items for m in metadata], dtype=f32),
        "statement_match": np.isin(statements, list(wanted_statements)).astype(f32)
        if wanted_statements
        else np.zeros(n, f32),
        "figure_question": np.full(n, figure, dtype=f32),
        "numeric_density": numeric_density.astype(f32),
        "figure_x_numeric": numeric_density.astype(f32) * figure,
        "term_coverage": _coverage(terms, lowered),
        "bigram_coverage": _coverage(query_bigrams(query), lowered),
        "title_overlap": _coverage(terms, [t.lower() for t in titles]),
        "log_tokens": np.log1p(tokens.astype(f32)),
        **{
            name: np.array([(m.item or "").upper() == code for m in metadata], dtype=f32)
            for name, code in _ITEM_FLAGS.items()
        },
    }


_NUMBER = re.compile(r"(?<![\w.])\(?\$?\d[\d,]*(?:\.\d+)?\)?%?")


def numeric_density(texts: Sequence[str]) -> np.ndarray:
    """Share of whitespace tokens that are numbers, per chunk (tables score high, narrative low)."""
    out = np.zeros(len(texts), dtype=np.float32)
    for i, text in enumerate(texts):
        words = text.split()
        if words:
            out[i] = len(_NUMBER.findall(text)) / len(words)
    return out


def latest_filing(metadata: Sequence[ChunkMetadata]) -> np.ndarray:
    """1 for chunks of each company's latest fiscal year held (10-K if it has one), else 0."""
    latest: dict[str, int] = {}
    has_10k = {m.ticker for m in metadata if m.form.upper() == "10-K"}
    for m in metadata:
        if m.fiscal_year is None or (m.ticker in has_10k and m.form.upper() != "10-K"):
            continue
        latest[m.ticker] = max(latest.get(m.ticker, m.fiscal_year), m.fiscal_year)
    return np.array(
        [
            m.fiscal_year is not None
            and latest.get(m.ticker) == m.fiscal_year
            and (m.ticker not in has_10k or m.form.upper() == "10-K")
            for m in metadata
        ],
        dtype=bool,
    )
