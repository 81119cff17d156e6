"""Whether a source holds an answer's figure at the precision the answer states it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from gateway.grounding.figures import Figure, numbers_in

# Statement tables print amounts "in thousands", "in millions" or "in billions" without a scale word on the
# row, so a bare source number may stand for itself times one of these: the ones the passage declares
# ("(In millions, except ...)", "($ in millions)"), or all three when its header is not in the passage.
STATEMENT_EXPONENTS = (0, 3, 6, 9)
_DECLARED = re.compile(r"\bin (thousands|millions|billions)\b", re.IGNORECASE)
_DECLARED_EXPONENT = {"thousands": 3, "millions": 6, "billions": 9}


def statement_exponents(text: str) -> tuple[int, ...]:
    """Powers of ten a bare number of this passage may be read in."""
    declared = {_DECLARED_EXPONENT[m[1].lower()] for m in _DECLARED.finditer(text)}
    return (0, *sorted(declared)) if declared else STATEMENT_EXPONENTS


def _rounded(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _as_percent(figure: Figure) -> tuple[Decimal, int]:
    """Percent and basis-point figures on one scale: 50 basis points is 0.50 percentage points."""
    if figure.kind == "bps":
        return figure.mantissa.scaleb(-2), figure.decimals + 2
    return figure.mantissa, figure.decimals


def _candidates(answer: Figure, source: Figure, exponents: tuple[int, ...]) -> Iterable[Decimal]:
    """What the source number may mean, in the answer figure's scale, unsigned."""
    if answer.kind != "amount":
        if source.kind != "amount":
            yield _as_percent(source)[0]
        return
    if source.kind != "amount":
        return
    if not answer.scaled or source.scaled:
        yield source.mantissa.scaleb(source.exponent - answer.exponent)
        return
    for exponent in exponents:
        yield source.mantissa.scaleb(exponent - answer.exponent)


def matches(answer: Figure, source: Figure, exponents: tuple[int, ...] = STATEMENT_EXPONENTS) -> bool:
    """Same quantity at the answer's precision; signs, separators and currency are ignored.

    A percent matches only a percent (or basis points, converted); an amount written with a scale word
    ("$391.0 billion") also matches a bare source number read in thousands, millions or billions
    ("391,035" in a table in millions), rounded half up to the answer's decimals; `exponents` are the
    readings the passage allows (`statement_exponents`).
    """
    target, decimals = _as_percent(answer) if answer.kind != "amount" else (answer.mantissa, answer.decimals)
    for candidate in _candidates(answer, source, exponents):
        try:
            if _rounded(candidate, decimals) == target:
                return True
        except InvalidOperation:  # more digits than the decimal context holds: not a figure anyone wrote
            continue
    return False


def found_in(answer: Figure, source_text: str) -> bool:
    """Whether any number of a source passage holds the answer figure."""
    return SourceNumbers(source_text).holds(answer)


class SourceNumbers:
    """A passage's numbers and the statement scales they may be read in, parsed once per answer."""

    def __init__(self, text: str) -> None:
        self.numbers = numbers_in(text)
        self.exponents = statement_exponents(text)

    def holds(self, answer: Figure) -> bool:
        """Whether any number of the passage is the answer figure at its precision."""
        return any(matches(answer, number, self.exponents) for number in self.numbers)
