"""Grounded answers: `[n]` markers as citation annotations and the check of every figure against the sources.

Pure functions over the answer text and the JSON-shaped sources (`Source.model_dump()`), shared by chat
completions (streaming and not) and the Responses API.
"""

from gateway.grounding.check import check_figures, sentence_spans, unchecked
from gateway.grounding.citations import (
    Marker,
    citation_markers,
    find_citations,
    source_title,
    source_url,
    unknown_citations,
)
from gateway.grounding.figures import Figure, figures_in, numbers_in
from gateway.grounding.matching import SourceNumbers, matches, statement_exponents
from gateway.grounding.protocol import CheckedFigure, Grounding, GroundingMode

__all__ = [
    "CheckedFigure",
    "Figure",
    "Grounding",
    "GroundingMode",
    "Marker",
    "SourceNumbers",
    "check_figures",
    "citation_markers",
    "figures_in",
    "find_citations",
    "matches",
    "numbers_in",
    "sentence_spans",
    "source_title",
    "source_url",
    "statement_exponents",
    "unchecked",
    "unknown_citations",
]
