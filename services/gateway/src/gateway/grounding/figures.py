"""Figures in text: numbers with their sign, currency, scale word, percent or unit, as exact decimals.

A hand-written scanner rather than a quantity library (quantulum3 and the like): filings write negatives in
parentheses, tables in millions without a scale word, and "basis points", and the check needs each number's
stated precision, which general-purpose parsers round away.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

Kind = Literal["amount", "percent", "bps"]

SCALES: dict[str, int] = {
    "thousand": 3,
    "k": 3,
    "million": 6,
    "mn": 6,
    "mm": 6,
    "m": 6,
    "billion": 9,
    "bn": 9,
    "b": 9,
    "trillion": 12,
    "tn": 12,
    "t": 12,
}
# Nouns counted by a bare number ("80,000 employees"); only part of the figure's text, never of its value.
_UNITS = (
    r"(?:full-time\s+)?(?:employees|people|workers|team\s+members)|(?:diluted\s+|basic\s+)?shares|"
    r"(?:share|stock)holders|holders\s+of\s+record|customers|users|subscribers|members|stores|locations|"
    r"restaurants|countries|vehicles|deliveries|units|patents|facilities|offices|data\s+centers|"
    r"square\s+feet|days|weeks|months|years|hours|times|per\s+(?:diluted\s+|basic\s+)?share"
)
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|"
    r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)

# One figure. The number is atomic so "1,234,567" is never read as "1,234" and "567"; the lookbehind keeps
# digits glued to letters or decimals out ("FY2024", "Q4", "v1.2"), the lookahead drops "10-K", "1A", "3rd"
# (a letter may follow only as an attached scale: "$5bn", "$3B"). Parentheses only count in pairs.
_FIGURE = re.compile(
    r"""
    (?P<minus>(?<![\w.,)\]])[-\u2212](?=[ ]?[$\u20ac\u00a3\u00a5(]?[ ]?\d))?
    (?P<open>\()?
    (?:(?P<currency>US\$|\$|\u20ac|\u00a3|\u00a5)[ ]?)?
    (?P<open2>\()?
    (?<![\w.,])
    (?P<number>(?>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+))
    (?!-[a-z])
    (?!(?!(?:bn|mn|mm|tn|[kmbt])\b)[a-z])
    (?(open)(?P<close>\))?)
    (?(open2)(?P<close2>\))?)
    (?:
        (?P<percent>[ ]?(?:%|percent\b|per[ ]cent\b)(?:[ ]points?\b)?|[ ]percentage[ ]points?\b)
      | [ ](?P<bps>basis[ ]points?|bps|bp)\b
      | (?:[ ]|(?<=\d))(?P<scale>thousand|million|billion|trillion|mn|mm|bn|tn)\b
      | (?<=\d)(?P<abbr>[kmbt])\b
    )?
    (?P<unit>[ ](?:"""
    + _UNITS
    + r"""))?
    """,
    re.VERBOSE | re.IGNORECASE,
)
_MARKER = re.compile(r"\[\d{1,3}\]")
# Spans whose numbers are references or dates, not quantities.
_NOT_FIGURES = re.compile(
    rf"""
    \b{_MONTH}\.?[ ]\d{{1,2}}(?:st|nd|rd|th)?(?:,?[ ]\d{{4}})?\b        # September 28, 2024
  | \b\d{{1,2}}[ ]{_MONTH}\.?(?:,?[ ]\d{{4}})?\b                        # 28 September 2024
  | \b{_MONTH}\.?,?[ ]\d{{4}}\b                                         # September 2024
  | \b\d{{1,2}}/\d{{1,2}}/\d{{2,4}}\b | \b\d{{4}}-\d{{2}}-\d{{2}}\b       # 9/28/2024, 2024-09-28
  | \b(?:Items?|Notes?|Parts?|Sections?|Rules?|Exhibits?|pages?|pp?\.)[ ]
      \d+[A-Z]?(?:\.\d+)?(?:[ ]?(?:,|and|&|to|through|-|\u2013)[ ]?\d+[A-Z]?)*  # Item 7, Notes 3 and 4, p. 26
    """,
    re.VERBOSE | re.IGNORECASE,
)
# Between two ends of a range; the first end takes the second one's percent sign or scale ("10-12%").
_RANGE_JOINER = re.compile(r"[ ]?(?:-|\u2013|\u2014|to|and|through)[ ]?", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Figure:
    """One number as written: its span, exact mantissa and decimals, power-of-ten scale and kind."""

    text: str
    start: int
    end: int
    mantissa: Decimal  # absolute value as written, before the scale word ("391.0" of "$391.0 billion")
    decimals: int  # digits after the decimal point: the stated precision
    exponent: int  # 9 for "billion", 0 without a scale word
    kind: Kind
    negative: bool
    currency: str | None
    scaled: bool  # a scale word was written (only then may a source number in thousands/millions match)

    @property
    def value(self) -> Decimal:
        """The signed quantity: amounts in currency units, percents and basis points as written."""
        magnitude = self.mantissa.scaleb(self.exponent)
        return -magnitude if self.negative else magnitude

    @property
    def is_year(self) -> bool:
        """A bare four-digit number 1900-2100 with nothing attached: a year, not a quantity."""
        return (
            self.kind == "amount"
            and not self.scaled
            and self.currency is None
            and not self.negative
            and self.decimals == 0
            and self.text.isdigit()
            and len(self.text) == 4
            and 1900 <= int(self.text) <= 2100
        )


def _excluded_spans(text: str) -> list[tuple[int, int]]:
    spans = [m.span() for m in _NOT_FIGURES.finditer(text)]
    spans.extend(m.span() for m in _MARKER.finditer(text))
    return spans


def _overlaps(start: int, end: int, spans: Iterable[tuple[int, int]]) -> bool:
    return any(a < end and start < b for a, b in spans)


def _scan(text: str) -> Iterator[Figure]:
    for m in _FIGURE.finditer(text):
        opened, closed = m["open"] or m["open2"], m["close"] or m["close2"]
        # "(1,234)" and "$(1,234)" are negatives; an unpaired "(" belongs to the prose around the figure.
        in_parentheses = bool(opened and closed)
        start = m.start() if in_parentheses or not m["open"] else m.end("open")
        end = m.end()
        if m["open2"] and not in_parentheses and not m["currency"]:
            start = m.end("open2")
        number = m["number"]
        if m["abbr"] and not m["currency"]:
            # "3M" or "5K" without a currency is a name or a size too often to be read as an amount.
            continue
        scale_word = (m["scale"] or m["abbr"] or "").lower()
        kind: Kind = "percent" if m["percent"] else "bps" if m["bps"] else "amount"
        mantissa = Decimal(number.replace(",", ""))
        decimals = len(number.split(".", 1)[1]) if "." in number else 0
        yield Figure(
            text=text[start:end],
            start=start,
            end=end,
            mantissa=mantissa,
            decimals=decimals,
            exponent=SCALES.get(scale_word, 0),
            kind=kind,
            negative=bool(m["minus"]) or in_parentheses,
            currency=m["currency"],
            scaled=bool(scale_word),
        )


def _join_ranges(text: str, figures: list[Figure]) -> list[Figure]:
    """The first end of a range written once ("10-12%", "$3 to $4 billion") takes the second end's kind."""
    out = list(figures)
    for i in range(len(out) - 1):
        first, second = out[i], out[i + 1]
        joiner = text[first.end : second.start]
        plain_first = first.kind == "amount" and not first.scaled
        if not plain_first or not _RANGE_JOINER.fullmatch(joiner.replace("$", "")):
            continue
        if joiner.strip().lower() == "and" and not text[: first.start].rstrip().lower().endswith("between"):
            continue
        if second.kind != "amount" or second.scaled:
            out[i] = Figure(
                first.text,
                first.start,
                first.end,
                first.mantissa,
                first.decimals,
                second.exponent,
                second.kind,
                first.negative,
                first.currency or second.currency,
                second.scaled,
            )
    return out


def numbers_in(text: str) -> list[Figure]:
    """Every number in a text (a source passage), ranges joined; dates, Item numbers and markers left out."""
    excluded = _excluded_spans(text)
    found = [f for f in _scan(text) if not _overlaps(f.start, f.end, excluded)]
    return _join_ranges(text, found)


def figures_in(text: str) -> list[Figure]:
    """The figures of an answer: every number except years used as years, dates, references and markers."""
    return [f for f in numbers_in(text) if not f.is_year]
