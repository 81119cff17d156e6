"""Pure answer judging: numbers in text, the numeric rule, the lexical judge and refusal detection.

Numeric gold (the whole gold answer is one figure, e.g. `$1577.00`, `24.26`, `65.4%`): correct when some
figure in the answer equals it within max(1 % of the gold, half a unit of the gold's last written digit).
Scale words count (`$1.58 billion` is 1,577 when the question asks "in USD millions"), a bare ratio matches
a percentage (0.2426 vs 24.26 %), and the sign is ignored because answers often state a decline in words
("fell by 0.02").

Other gold answers (explanations) go to a lexical judge; benchmarks/answers/README.md reports how it agrees
with a hand reading:
1. Yes/no polarity: when the gold starts with yes or no, the answer's first yes/no word must agree.
2. Figures: when the gold has figures (years excluded), at least one of them must appear in the answer
   under the numeric rule (with polarity) or at least half of them (without).
3. Otherwise, words: at least `WORD_RECALL` of the gold's content words that the question does not already
   contain must appear in the answer (lower-cased, plural s stripped, stop words dropped).
A refusal ("cannot find it in the filings") is never correct.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

WORD_RECALL = 0.5
SCALES = {
    "thousand": 1e3, "thousands": 1e3, "k": 1e3,
    "million": 1e6, "millions": 1e6, "mn": 1e6, "m": 1e6, "mm": 1e6,
    "billion": 1e9, "billions": 1e9, "bn": 1e9, "b": 1e9,
    "trillion": 1e12, "trillions": 1e12,
}  # fmt: skip
_NUMBER = re.compile(
    r"(?P<neg>\(|-|\u2212)?\s*(?P<cur>\$|USD\s?)?\s*(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)\)?"
    r"\s*(?P<pct>%|percent\b)?\s*(?:(?P<scale>thousands?|millions?|billions?|trillions?|mn|bn|mm|[kmb])\b)?",
    re.IGNORECASE,
)
_NUMERIC_GOLD = re.compile(
    r"^\s*(?:approximately\s+|about\s+)?[-\u2212(]?\s*(?:\$|USD\s?)?\s*[\d,]*\.?\d+\)?\s*(?:%|percent)?\s*"
    r"(?:thousands?|millions?|billions?|mn|bn)?\s*(?:usd|dollars)?\s*\.?\s*$",
    re.IGNORECASE,
)
_QUESTION_UNIT = re.compile(
    r"\bin\s+(?:usd\s+|us\s*\$\s*|\$\s*)?(thousands|millions|billions)\b", re.IGNORECASE
)
_REFUSAL = re.compile(
    r"cannot find|can ?not be found|could not find|unable to (?:find|determine|answer)|"
    r"do(?:es)? not (?:contain|provide|include|mention|specify)|"
    r"not (?:provided|available|mentioned|specified) in|no information|"
    r"insufficient information|not enough information|i don'?t (?:know|have)",
    re.IGNORECASE,
)
_WORD = re.compile(r"[a-z][a-z0-9&'-]+")
_STOP_TEXT = """
the a an and or of to in on for by with from as at is are was were be been being this that these those it its
their there which who whom what when where why how than then so such not no yes has have had do does did can
could would should will may might also into over under about between during per each other more most less fy
fiscal year years company company's total based primarily mainly due compared
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())


@dataclass(frozen=True)
class Figure:
    """A number as written: value without scale, digits after the point, percent, scale factor."""

    value: float
    decimals: int
    percent: bool
    scale: float | None
    is_year: bool

    @property
    def scaled(self) -> float:
        return self.value * (self.scale or 1.0)


@dataclass(frozen=True)
class Verdict:
    """Whether an answer is judged correct, by which rule, and whether it is a refusal."""

    correct: bool
    rule: str
    refusal: bool
    detail: str = ""


def figures(text: str) -> list[Figure]:
    """Every number in `text`; `[n]` citation markers are skipped, years are flagged."""
    text = re.sub(r"\[\d+\]", " ", text)
    out: list[Figure] = []
    for m in _NUMBER.finditer(text):
        raw = m.group("num").replace(",", "")
        if raw.startswith("."):
            raw = "0" + raw
        value = float(raw)
        decimals = len(raw.split(".")[1]) if "." in raw else 0
        scale_word = (m.group("scale") or "").lower()
        # A lone "m"/"b"/"k" counts only right after a currency figure ("$2.1B"), never in prose ("5 m").
        if scale_word in ("m", "b", "k") and not m.group("cur"):
            scale_word = ""
        is_year = (
            decimals == 0
            and 1900 <= value <= 2100
            and not m.group("cur")
            and not m.group("pct")
            and ("," not in m.group("num"))
        )
        out.append(
            Figure(value, decimals, bool(m.group("pct")), SCALES.get(scale_word), is_year and not scale_word)
        )
    return out


def question_unit(question: str) -> float | None:
    """The scale a question asks for ("in USD millions" -> 1e6), if any."""
    m = _QUESTION_UNIT.search(question)
    return SCALES[m.group(1).lower()] if m else None


def is_numeric_gold(gold: str) -> bool:
    """True when the whole gold answer is one figure."""
    return bool(_NUMERIC_GOLD.match(gold)) and len([f for f in figures(gold)]) == 1


def is_refusal(answer: str) -> bool:
    """The answer says the sources do not hold the answer."""
    return bool(_REFUSAL.search(answer))


def _tolerance(gold: Figure) -> float:
    return max(0.01 * abs(gold.value), 0.5 * 10.0 ** (-gold.decimals))


def figure_matches(gold: Figure, candidate: Figure, unit: float | None) -> bool:
    """The candidate states the gold figure within rounding (see the module docstring)."""
    tolerance = _tolerance(gold)
    g = abs(gold.value)
    values = [abs(candidate.value)]
    if not gold.percent and candidate.percent:
        return False
    gold_unit = gold.scale or unit
    if candidate.scale is not None and gold_unit:
        # The stated scale decides: $1.58 billion is 1,577 millions, "1,577 thousand" is not.
        values = [abs(candidate.scaled) / gold_unit]
    elif candidate.scale is not None and gold.scale is None and unit is None:
        values.append(abs(candidate.scaled))
    if gold.percent and not candidate.percent:
        values.append(abs(candidate.value) * 100)  # 0.2426 stated as a ratio
    return any(math.isclose(v, g, abs_tol=tolerance + 1e-12) for v in values)


def _found(gold: Figure, answer_figures: list[Figure], unit: float | None) -> bool:
    return any(figure_matches(gold, c, unit) for c in answer_figures if not c.is_year)


def _polarity(text: str) -> str | None:
    m = re.search(r"\b(yes|no)\b", text.lower())
    return m.group(1) if m else None


def _words(text: str) -> set[str]:
    words = set()
    for w in _WORD.findall(text.lower()):
        w = w.strip("'-")
        if len(w) < 3 or w in STOP_WORDS:
            continue
        words.add(w[:-1] if w.endswith("s") and len(w) > 3 else w)
    return words


def judge(question: str, gold: str, answer: str) -> Verdict:
    """Judge one answer against the gold answer (rules in the module docstring)."""
    refusal = is_refusal(answer)
    if refusal:
        return Verdict(False, "refusal", True)
    unit = question_unit(question)
    answer_figures = figures(answer)
    if is_numeric_gold(gold):
        (g,) = figures(gold)
        return Verdict(_found(g, answer_figures, unit), "numeric", False)
    gold_figures = [f for f in figures(gold) if not f.is_year]
    found = sum(_found(g, answer_figures, unit) for g in gold_figures)
    gold_polarity = _polarity(gold.split(".")[0][:12])
    if gold_polarity is not None:
        if _polarity(answer[:200]) != gold_polarity:
            return Verdict(False, "polarity", False)
        if not gold_figures:
            return Verdict(True, "polarity", False)
        return Verdict(found >= 1, "polarity+figures", False, f"{found}/{len(gold_figures)}")
    if gold_figures:
        return Verdict(found >= max(1, math.ceil(len(gold_figures) / 2)), "figures", False,
                       f"{found}/{len(gold_figures)}")  # fmt: skip
    wanted = _words(gold) - _words(question)
    if not wanted:
        wanted = _words(gold)
    share = len(wanted & _words(answer)) / len(wanted) if wanted else 0.0
    return Verdict(share >= WORD_RECALL, "words", False, f"{share:.2f}")
