"""Whether a source holds an answer's figure at the precision the answer states it."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from gateway.grounding.figures import Figure

# Statement tables print amounts "in thousands", "in millions" or "in billions" without a scale word on the
# row, so a bare source number may stand for itself times one of these.
_STATEMENT_EXPONENTS = (0, 3, 6, 9)


def _rounded(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _as_percent(figure: Figure) -> tuple[Decimal, int]:
    """Percent and basis-point figures on one scale: 50 basis points is 0.50 percentage points."""
    if figure.kind == "bps":
        return figure.mantissa.scaleb(-2), figure.decimals + 2
    return figure.mantissa, figure.decimals


def _candidates(answer: Figure, source: Figure) -> Iterable[Decimal]:
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
    for exponent in _STATEMENT_EXPONENTS:
        yield source.mantissa.scaleb(exponent - answer.exponent)


def matches(answer: Figure, source: Figure) -> bool:
    """Same quantity at the answer's precision; signs, separators and currency are ignored.

    A percent matches only a percent (or basis points, converted); an amount written with a scale word
    ("$391.0 billion") also matches a bare source number read in thousands, millions or billions
    ("391,035" in a table in millions), rounded half up to the answer's decimals.
    """
    target, decimals = _as_percent(answer) if answer.kind != "amount" else (answer.mantissa, answer.decimals)
    for candidate in _candidates(answer, source):
        try:
            if _rounded(candidate, decimals) == target:
                return True
        except InvalidOperation:  # more digits than the decimal context holds: not a figure anyone wrote
            continue
    return False


def found_in(answer: Figure, source_numbers: Iterable[Figure]) -> bool:
    """Whether any number of a source holds the answer figure."""
    return any(matches(answer, number) for number in source_numbers)
