"""Infer the companies, fiscal year and form a question is about, and turn them into a metadata filter.

A question that names its company ("What was 3M's FY2018 capex?") is answered from that company's filings:
`QueryScope.for_metadata(chunk metadata)` knows the issuers an index holds (legal names, their short forms
and the brand names in `issuer_names.csv`) and which fiscal years and forms it has, and `filter_for(question)`
returns an OpenAI-style filter that cannot come back empty, or None when the question names no issuer.
"""

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from retriever.item_terms import question_items

# Legal suffixes dropped to derive the short name people use ("The Boeing Company" → "Boeing").
_LEGAL_SUFFIX = re.compile(
    r"(?:,?\s+(?:inc\.?|incorporated|corporation|corp\.?|company|co\.?|plc|ltd\.?|limited|llc|n\.v\.|s\.a\.|"
    r"holdings?|group|international))+$",
    re.IGNORECASE,
)
_LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)
# Upper-case words that look like tickers but are ordinary finance vocabulary.
_NOT_TICKERS = frozenset({
    "A", "I", "AN", "AT", "BE", "DO", "GO", "IT", "ON", "OR", "SO", "US", "AI", "ALL", "ARE", "CEO",
    "CFO", "EPS", "ETF", "FY", "GAAP", "IPO", "LLC", "NOW", "ONE", "ROA", "ROE", "ROI", "SEC", "USA",
    "USD", "EBIT", "CAGR", "COGS", "DPO", "DSO", "DIO", "CCC", "FCF", "PPE", "YOY", "QOQ", "CAPEX",
    "NET",
})  # fmt: skip
# Fiscal-period years: FY2022, FY 2022, FY22, fiscal (year) 2022, 2022 Q1, Q2'2023, Q22023.
_FY_YEAR = re.compile(
    r"\b(?:FY\s?'?(\d{4}|\d{2})|fiscal\s+(?:year\s+)?(\d{4})|Q[1-4]\s?'?(\d{4})|(\d{4})\s?Q[1-4])(?![\d])",
    re.IGNORECASE,
)
_BARE_YEAR = re.compile(r"(?<![\d$.,])((?:19|20)\d{2})(?![\d%]|[.,]\d)")
_QUARTER = re.compile(
    r"\bQ([1-4])\b|\bQ([1-4])(?=\s?'?\d{4})|\b(first|second|third|fourth)\s+(?:fiscal\s+)?quarter",
    re.IGNORECASE,
)
_ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4}
_FORMS = (
    (re.compile(r"\b10-?K\b|\bannual report\b", re.IGNORECASE), "10-K"),
    (re.compile(r"\b10-?Q\b|\bquarterly report\b", re.IGNORECASE), "10-Q"),
    (re.compile(r"\b8-?K\b", re.IGNORECASE), "8-K"),
)


# The filing a question is about, when it names one ("the 2021 10-K", "fiscal 2022 annual report", "its 2023
# filing", "10-K for fiscal 2021"): that year wins over every other year in the sentence, which the filing
# merely discusses ("expected capex for 2022", "announced in March 2022").
_REPORT_WORDS = r"(?:form\s+)?(?:10-?K|annual\s+(?:report|filing)|(?:sec\s+)?filing|report)"
_REPORT_YEAR = re.compile(
    rf"(?:\bFY\s?'?|\bfiscal\s+(?:year\s+)?|(?<![\w$.,]))"
    rf"(\d{{4}}|(?<=FY)\d{{2}}|(?<=FY ')\d{{2}})\s+{_REPORT_WORDS}\b"
    rf"|\b{_REPORT_WORDS}\s+(?:for|of|covering)\s+(?:the\s+)?(?:fiscal\s+(?:year\s+)?|FY\s?'?)?(\d{{4}})\b",
    re.IGNORECASE,
)
# A follow-up's period relative to the conversation's ("and the year before?").
_RELATIVE_YEAR = (
    (
        re.compile(
            r"\b(?:the\s+)?(?:fiscal\s+)?year\s+(?:before|prior|earlier)\b|\b(?:prior|previous|preceding)\s+"
            r"(?:fiscal\s+)?year\b|\ba\s+year\s+(?:earlier|before)\b",
            re.IGNORECASE,
        ),
        -1,
    ),
    (
        re.compile(
            r"\b(?:following|next|subsequent)\s+(?:fiscal\s+)?year\b|\ba\s+year\s+later\b|"
            r"\bthe\s+year\s+after\b",
            re.IGNORECASE,
        ),
        1,
    ),
)
# Openings and pronouns of an elliptical follow-up: "What about Microsoft?", "And how did that change?".
_FOLLOW_UP_OPENING = re.compile(
    r"^\s*(?:and|also|then|so|what\s+about|how\s+about|what\s+of|and\s+what\s+about|same\s+for|"
    r"and\s+for|and\s+in|compared\s+to|versus|vs\.?)\b",
    re.IGNORECASE,
)
_ANAPHORA = re.compile(r"\b(?:that|this|it|those|these|them|same|the\s+former|the\s+latter)\b", re.IGNORECASE)
_WORD = re.compile(r"[a-z][a-z&'-]*", re.IGNORECASE)
_FUNCTION_WORDS = frozenset(
    [
        "a",
        "about",
        "after",
        "again",
        "also",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "been",
        "before",
        "being",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "during",
        "each",
        "for",
        "from",
        "had",
        "has",
        "have",
        "how",
        "i",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "over",
        "same",
        "so",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "to",
        "under",
        "until",
        "up",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "year",
        "years",
        "fiscal",
        "quarter",
        "prior",
        "previous",
        "earlier",
        "later",
        "following",
        "next",
        "change",
        "changed",
        "changes",
        "compare",
        "compared",
        "versus",
        "vs",
        "tell",
        "show",
        "give",
        "me",
        "please",
        "about",
        "regarding",
        "period",
        "time",
        "before",
        "after",
        "former",
        "latter",
    ]
)
_FOLLOW_UP_TOPIC_WORDS = 3
# "What was ...", "Why did ...": a past event or period the question does not date, so no filing is presumed.
# Present-tense questions ("Who are its executive officers?") ask about now: the latest filing.
_PAST_TENSE = re.compile(r"\b(?:did|was|were|had)\b", re.IGNORECASE)


@dataclass(frozen=True)
class QueryAnalysis:
    """What a question names: tickers (in order of mention), the fiscal year it is about, quarter, form.

    `report_year` is the year of the filing the question names ("the 2021 10-K"); when set it is also the
    `fiscal_year`. `relative_year` is an offset to the conversation's year ("the year before": -1), `items`
    the 10-K Items it names, and `elliptical` whether it leans on an earlier turn for its topic.
    """

    tickers: tuple[str, ...]
    fiscal_year: int | None
    years: tuple[int, ...]
    quarter: int | None
    form: str | None
    report_year: int | None = None
    relative_year: int | None = None
    items: tuple[str, ...] = ()
    elliptical: bool = False
    past_tense: bool = False


@dataclass(frozen=True)
class _Pattern:
    ticker: str
    regex: re.Pattern[str]


def short_name(legal_name: str) -> str:
    """'The Coca-Cola Company' → 'Coca-Cola', 'Amazon.com, Inc.' → 'Amazon.com'."""
    return _LEGAL_SUFFIX.sub("", _LEADING_THE.sub("", legal_name.strip())).strip(" ,")


def _name_regex(name: str) -> re.Pattern[str]:
    body = r"\s*".join(re.escape(part) for part in name.split())
    bounded = rf"(?<![\w&]){body}(?![\w&])"
    # A single plain capitalised word ("Block", "Square", "Apple") is also an English word: match it only
    # capitalised or in capitals. Everything else ("PepsiCo", "Johnson & Johnson", "3M") matches in any case.
    if re.fullmatch(r"[A-Z][a-z]+", name):
        return re.compile(rf"(?<![\w&])(?:{re.escape(name)}|{re.escape(name.upper())})(?![\w&])")
    return re.compile(bounded, re.IGNORECASE)


class QueryAnalyzer:
    """Finds issuers by name, alias or ticker, and fiscal year / quarter / form mentions, in free text."""

    def __init__(self, names: Mapping[str, Iterable[str]]) -> None:
        patterns: list[tuple[int, _Pattern]] = []
        for ticker, aliases in names.items():
            for alias in {a.strip() for a in aliases if a and len(a.strip()) >= 2}:
                patterns.append((len(alias), _Pattern(ticker, _name_regex(alias))))
        self._patterns = [p for _, p in sorted(patterns, key=lambda x: -x[0])]
        self._tickers = {t.upper() for t in names if t.upper() not in _NOT_TICKERS}

    @classmethod
    def from_names(
        cls, issuers: Iterable[tuple[str, str]], extra_aliases: Mapping[str, Iterable[str]] | None = None
    ) -> "QueryAnalyzer":
        """From (ticker, legal name) pairs, e.g. index metadata, plus optional extra aliases per ticker."""
        names: dict[str, set[str]] = {}
        for ticker, legal in issuers:
            names.setdefault(ticker.upper(), set()).update({legal, short_name(legal)})
        for ticker, aliases in (extra_aliases or {}).items():
            names.setdefault(ticker.upper(), set()).update(aliases)
        return cls(names)

    def tickers_in(self, text: str) -> tuple[str, ...]:
        """Tickers of the issuers named in text, in order of first mention."""
        found: dict[str, int] = {}
        for pattern in self._patterns:
            if (m := pattern.regex.search(text)) is not None:
                found[pattern.ticker] = min(found.get(pattern.ticker, m.start()), m.start())
        for m in re.finditer(r"(?<![\w$])([A-Z]{2,5})(?![\w&])", text):
            if m.group(1) in self._tickers:
                found.setdefault(m.group(1), m.start())
        return tuple(sorted(found, key=found.__getitem__))

    def name_spans(self, text: str) -> list[tuple[int, int]]:
        """Character spans of every issuer name, alias or ticker in text."""
        spans = [m.span() for p in self._patterns for m in p.regex.finditer(text)]
        spans += [
            m.span(1)
            for m in re.finditer(r"(?<![\w$])([A-Z]{2,5})(?![\w&])", text)
            if m.group(1) in self._tickers
        ]
        return spans

    def analyze(self, text: str) -> QueryAnalysis:
        """Companies, fiscal year (the named report's, else latest fiscal-tagged, else latest bare), etc."""
        tagged = [_year(next(g for g in m.groups() if g)) for m in _FY_YEAR.finditer(text)]
        bare = [int(m.group(1)) for m in _BARE_YEAR.finditer(text)]
        reports = [_year(next(g for g in m.groups() if g)) for m in _REPORT_YEAR.finditer(text)]
        # The filing that answers a question covers its latest fiscal year; earlier years are comparatives.
        year = max(tagged) if tagged else (max(bare) if bare else None)
        report_year = max(reports) if reports else None
        if report_year is not None:
            year = report_year
        quarter = None
        if (q := _QUARTER.search(text)) is not None:
            quarter = (
                int(q.group(1) or q.group(2)) if (q.group(1) or q.group(2)) else _ORDINAL[q.group(3).lower()]
            )
        form = next((f for regex, f in _FORMS if regex.search(text)), None)
        years = tuple(sorted(set(tagged) | set(bare)))
        relative = next((offset for regex, offset in _RELATIVE_YEAR if regex.search(text)), None)
        return QueryAnalysis(
            self.tickers_in(text),
            year,
            years,
            quarter,
            form,
            report_year=report_year,
            relative_year=relative if year is None else None,
            items=question_items(text),
            elliptical=self._elliptical(text),
            past_tense=_PAST_TENSE.search(text) is not None,
        )

    def _elliptical(self, text: str) -> bool:
        """Whether a question leans on an earlier turn: no topic words, or few after a follow-up cue."""
        blanked = text
        for start, end in sorted(self.name_spans(text), reverse=True):
            blanked = blanked[:start] + " " + blanked[end:]
        topic = [w for w in _WORD.findall(blanked) if w.lower().strip("'") not in _FUNCTION_WORDS]
        if not topic:
            return True
        cue = _FOLLOW_UP_OPENING.search(text) is not None or _ANAPHORA.search(text) is not None
        return cue and len(topic) <= _FOLLOW_UP_TOPIC_WORDS


def _year(token: str) -> int:
    value = int(token)
    return value + 2000 if value < 100 else value


@dataclass(frozen=True)
class Catalog:
    """Which (ticker, fiscal year, form) combinations an index holds, so a filter never comes back empty."""

    entries: frozenset[tuple[str, int | None, str]]

    @classmethod
    def from_metadata(cls, rows: Iterable[Any]) -> "Catalog":
        """From ChunkMetadata-like objects (ticker, fiscal_year, form attributes)."""
        return cls(frozenset((r.ticker.upper(), r.fiscal_year, r.form.upper()) for r in rows))

    def years(self, tickers: Sequence[str], form: str | None = None) -> set[int]:
        """Fiscal years held for any of these tickers (and form)."""
        wanted = set(tickers)
        return {
            y for t, y, f in self.entries if t in wanted and y is not None and (form is None or f == form)
        }

    def has_form(self, tickers: Sequence[str], form: str) -> bool:
        """Whether any filing of this form exists for these tickers."""
        return any(t in tickers and f == form for t, _, f in self.entries)


# A filing's comparatives reach back this many fiscal years (10-K income statements show three).
COMPARATIVE_YEARS = 2


def resolve_year(year: int | None, held: set[int]) -> int | None:
    """Fiscal year to filter on: the asked one if held, else the nearest later filing that covers it."""
    if year is None or not held:
        return None
    if year in held:
        return year
    later = sorted(y for y in held if year < y <= year + COMPARATIVE_YEARS)
    return later[0] if later else None


# Keys that pin a period or a filing: a client filter on any of them leaves no year to infer.
PERIOD_KEYS = frozenset({"fiscal_year", "period_end", "filing_date", "accession", "doc_id", "source_file"})
RECENCY_FORM = "10-K"


def filter_for(
    analysis: QueryAnalysis,
    catalog: Catalog,
    *,
    fixed_keys: frozenset[str] = frozenset(),
    tickers: Sequence[str] | None = None,
    recency: bool = True,
) -> dict[str, Any] | None:
    """OpenAI-style filter: ticker(s), plus fiscal year and form only where the index holds them.

    `fixed_keys` are the keys a client filter already constrains (inference leaves them alone) and `tickers`
    the companies that filter requires, used instead of the question's. A present-tense question that names a
    company but no period is about its latest annual report (the recency default).
    """
    if tickers is None:
        tickers = analysis.tickers
    tickers = [t for t in tickers if catalog.years([t])]
    if not tickers:
        return None
    parts: list[dict[str, Any]] = []
    if "ticker" not in fixed_keys:
        parts.append(
            {"type": "eq", "key": "ticker", "value": tickers[0]}
            if len(tickers) == 1
            else {"type": "in", "key": "ticker", "value": tickers}
        )
    form = analysis.form if analysis.form and catalog.has_form(tickers, analysis.form) else None
    if "form" in fixed_keys:
        form = None
    if not fixed_keys & PERIOD_KEYS:
        year = resolve_year(analysis.fiscal_year, catalog.years(tickers, form))
        if year is not None:
            parts.append({"type": "eq", "key": "fiscal_year", "value": year})
        elif recency and _undated_present(analysis):
            parts.extend(_latest_filing(tickers, catalog, form, fixed_keys))
            form = None
    if form is not None:
        parts.append({"type": "eq", "key": "form", "value": form})
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"type": "and", "filters": parts}


def _undated_present(analysis: QueryAnalysis) -> bool:
    """No year or quarter named, and not about a past event: the question is about now."""
    return analysis.fiscal_year is None and analysis.quarter is None and not analysis.past_tense


def _latest_filing(
    tickers: Sequence[str], catalog: Catalog, form: str | None, fixed_keys: frozenset[str]
) -> list[dict[str, Any]]:
    """Filter parts for each company's latest filing (of `form`, else its latest 10-K if it has one)."""
    if form is None and "form" not in fixed_keys and catalog.has_form(tickers, RECENCY_FORM):
        form = RECENCY_FORM
    latest = {t: max(held) for t in tickers if (held := catalog.years([t], form))}
    if not latest:
        return []
    parts: list[dict[str, Any]] = []
    if len(set(latest.values())) == 1:
        parts.append({"type": "eq", "key": "fiscal_year", "value": next(iter(latest.values()))})
    else:
        parts.append({
            "type": "or",
            "filters": [
                {"type": "and", "filters": [
                    {"type": "eq", "key": "ticker", "value": t},
                    {"type": "eq", "key": "fiscal_year", "value": y},
                ]}
                for t, y in latest.items()
            ],
        })  # fmt: skip
    if form is not None:
        parts.append({"type": "eq", "key": "form", "value": form})
    return parts


@cache
def issuer_names() -> dict[str, tuple[str, ...]]:
    """Names people use for issuers beyond their legal name (Google, Facebook, J&J), by ticker."""
    text = resources.files("retriever").joinpath("issuer_names.csv").read_text(encoding="utf-8")
    return {
        row["ticker"].upper(): tuple(n.strip() for n in row["names"].split("|") if n.strip())
        for row in csv.DictReader(text.splitlines())
    }


class QueryScope:
    """The filter a question implies within one index: issuers named, fiscal year and form held."""

    def __init__(self, analyzer: QueryAnalyzer, catalog: Catalog) -> None:
        self.analyzer = analyzer
        self.catalog = catalog

    @classmethod
    def for_metadata(cls, rows: Iterable[Any]) -> "QueryScope":
        """From chunk metadata (ticker, company, fiscal_year, form): only issuers the index holds."""
        rows = list(rows)
        issuers = sorted({(r.ticker.upper(), r.company) for r in rows if r.ticker})
        held = {ticker for ticker, _ in issuers}
        aliases = {t: names for t, names in issuer_names().items() if t in held}
        catalog = Catalog.from_metadata(r for r in rows if r.ticker)
        return cls(QueryAnalyzer.from_names(issuers, aliases), catalog)

    def filter_for(self, question: str) -> dict[str, Any] | None:
        """OpenAI-style filter for the question, or None when it names no issuer of this index."""
        return filter_for(self.analyzer.analyze(question), self.catalog)
