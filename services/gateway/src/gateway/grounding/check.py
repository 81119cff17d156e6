"""The figure check: each figure of an answer, the sources cited beside it and the sources that hold it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from decimal import Decimal

from gateway.grounding.citations import SourceLike, citation_markers, unknown_citations
from gateway.grounding.figures import Figure, figures_in, numbers_in
from gateway.grounding.matching import SourceNumbers
from gateway.grounding.protocol import CheckedFigure, Grounding

# A sentence ends at . ! ? before whitespace, or at a line break; markers right after the stop
# ("... $391.0 billion. [1]") still belong to it.
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)(?:[ \t]*\[\d{1,3}\])*|\n+")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """[start, end) of each sentence, covering the whole text."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        spans.append((start, m.end()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def _json_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _question_numbers(question_texts: Iterable[str]) -> set[Decimal]:
    return {number.mantissa for text in question_texts for number in numbers_in(text)}


def check_figures(answer: str, question_texts: Iterable[str], sources: Sequence[SourceLike]) -> Grounding:
    """Every figure of `answer` (numbers the user wrote in `question_texts` excepted) against `sources`."""
    asked = _question_numbers(question_texts)
    figures: list[Figure] = [f for f in figures_in(answer) if f.mantissa not in asked]
    passages = {int(s["index"]): SourceNumbers(str(s.get("text") or "")) for s in sources}
    markers = citation_markers(answer)
    sentences = sentence_spans(answer)
    checked: list[CheckedFigure] = []
    for figure in figures:
        start, end = next(((a, b) for a, b in sentences if a <= figure.start < b), (0, len(answer)))
        cited = list(dict.fromkeys(m.number for m in markers if start <= m.start < end))
        checked.append(
            CheckedFigure(
                text=figure.text,
                start=figure.start,
                end=figure.end,
                value=_json_number(figure.value),
                cited=cited,
                found_in=[n for n, passage in passages.items() if passage.holds(figure)],
            )
        )
    return Grounding(
        figures=checked,
        unsupported=[f.text for f in checked if not f.found_in],
        unknown_citations=unknown_citations(answer, sources),
    )


def unchecked(answer: str, sources: Sequence[SourceLike]) -> Grounding:
    """The grounding object when the figure check is off: only the citations naming no source."""
    return Grounding(unknown_citations=unknown_citations(answer, sources), checked=False)
