"""The `grounding` object of an answer, fields in the order clients see them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

GroundingMode = Literal["flag", "off"]


class CheckedFigure(BaseModel):
    """One figure of the answer: where it is, its value, the sources cited next to it and those holding it."""

    text: str
    start: int
    end: int
    value: int | float
    cited: list[int] = Field(default_factory=list)
    found_in: list[int] = Field(default_factory=list)


class Grounding(BaseModel):
    """The figure check of one answer; `checked` is false when the check was off or could not run."""

    figures: list[CheckedFigure] = Field(default_factory=list)
    unsupported: list[str] = Field(default_factory=list)
    unknown_citations: list[int] = Field(default_factory=list)
    checked: bool = True
