"""A learned fusion: a logistic model over the first stage's scores, ranks and query matches.

Cheap (one dot product per candidate) and trained with `make reranker` (benchmarks/rerank) on questions
split by company, so the figures it is reported with come from companies it never saw. The coefficients
are a small JSON file in the package; `FusionWeights.load()` reads the packaged one.
"""

import json
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
from pydantic import BaseModel, model_validator
from retriever.rerank.base import CandidateSet
from retriever.rerank.features import FEATURES

WEIGHTS_FILE = "fusion_weights.json"


class FusionWeights(BaseModel):
    """Standardisation and logistic coefficients per feature, plus how they were trained."""

    features: list[str]
    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float
    trained_on: dict[str, object] = {}

    @model_validator(mode="after")
    def _aligned(self) -> "FusionWeights":
        n = len(self.features)
        if not (len(self.mean) == len(self.scale) == len(self.coef) == n):
            raise ValueError("features, mean, scale and coef must have the same length")
        unknown = set(self.features) - set(FEATURES)
        if unknown:
            raise ValueError(f"unknown features {sorted(unknown)}")
        return self

    @classmethod
    def read(cls, path: Path) -> "FusionWeights":
        """From a JSON file written by the trainer."""
        return cls.model_validate_json(path.read_text(encoding="utf-8"))

    def write(self, path: Path) -> None:
        """To a JSON file (stable key order, so a retrain shows as a small diff)."""
        path.write_text(json.dumps(self.model_dump(), indent=1) + "\n", encoding="utf-8")


@cache
def packaged_weights() -> FusionWeights:
    """The coefficients shipped with the retriever."""
    text = resources.files("retriever.rerank").joinpath(WEIGHTS_FILE).read_text(encoding="utf-8")
    return FusionWeights.model_validate_json(text)


class LearnedFusion:
    """Scores candidates by the logistic model's log-odds of being evidence."""

    name = "fusion"

    def __init__(self, weights: FusionWeights) -> None:
        self.weights = weights
        self._mean = np.asarray(weights.mean, dtype=np.float32)
        self._scale = np.asarray(weights.scale, dtype=np.float32)
        self._coef = np.asarray(weights.coef, dtype=np.float32)

    def matrix(self, candidates: CandidateSet) -> np.ndarray:
        """Standardised feature matrix (candidates x features)."""
        return feature_matrix(candidates, self.weights.features, self._mean, self._scale)

    def score(self, candidates: CandidateSet) -> np.ndarray:
        """Log-odds per candidate."""
        if len(candidates) == 0:
            return np.zeros(0, dtype=np.float32)
        return self.matrix(candidates) @ self._coef + np.float32(self.weights.intercept)

    def contributions(self, candidates: CandidateSet) -> np.ndarray:
        """Per-feature share of each candidate's score (for `--explain`)."""
        return self.matrix(candidates) * self._coef


def feature_matrix(
    candidates: CandidateSet,
    names: Sequence[str],
    mean: np.ndarray | None = None,
    scale: np.ndarray | None = None,
) -> np.ndarray:
    """Candidates' features as a matrix in `names` order, standardised when mean and scale are given."""
    raw = np.stack([np.asarray(candidates.features[n], dtype=np.float32) for n in names], axis=1)
    if mean is None or scale is None:
        return raw
    return (raw - mean) / scale
