"""Fit the learned fusion: logistic regression over first-stage candidates, labelled by the eval sets.

Rows are the RERANK_DEPTH fused candidates of each training question under the inferred-filter and the
no-filter policies (so the model learns both the filtered ranking and the soft company/year matches);
questions whose candidates hold no evidence carry no ranking signal and are left out. Each eval set weighs the
same in the fit: financial_qa_10k has five times FinanceBench's questions, and unweighted its narrative
questions decide the model (FinanceBench R@5 with the inferred filter fell 1.5 points below no second stage;
weighted it rises 2.3, for 1 point of financial_qa_10k).
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from retriever.index import SearchIndex
from retriever.rerank.features import FEATURES
from retriever.rerank.learned import FusionWeights, feature_matrix
from sklearn.linear_model import LogisticRegression

from benchmarks.rerank.labelled import Labelled
from benchmarks.rerank.settings import INFERRED, NO_FILTER, plan_for

TRAIN_POLICIES = (INFERRED, NO_FILTER)
C = 0.5  # L2 strength: sklearn's default scale; C = 0.05 ranked the same in the cross-fit run


@dataclass(frozen=True)
class Examples:
    """Feature rows, labels and the question each row belongs to."""

    x: np.ndarray
    y: np.ndarray
    group: np.ndarray
    dataset: np.ndarray


def collect(
    pairs: Sequence[tuple[SearchIndex, Labelled, np.ndarray]], policies: Sequence[str] = TRAIN_POLICIES
) -> Examples:
    """Candidates with at least one evidence chunk among them, as (features, label, question) rows."""
    xs, ys, groups, datasets = [], [], [], []
    for n, (index, question, vector) in enumerate(pairs):
        for policy in policies:
            plan = plan_for(index, question, policy)
            cands = index.candidate_set(
                plan.query, vector, plan.filter, items=plan.items, analysis=plan.analysis
            )
            labels = np.array(
                [question.relevant(t, m) for t, m in zip(cands.texts, cands.metadata, strict=True)],
                dtype=bool,
            )
            if len(cands) == 0 or not labels.any():
                continue
            xs.append(feature_matrix(cands, FEATURES))
            ys.append(labels)
            groups.append(np.full(len(cands), n * len(policies) + policies.index(policy)))
            datasets.append(np.full(len(cands), question.dataset))
    return Examples(np.concatenate(xs), np.concatenate(ys), np.concatenate(groups), np.concatenate(datasets))


def dataset_weights(examples: Examples) -> np.ndarray:
    """Row weights that give every eval set the same total weight, each of its questions an equal share."""
    weights = np.zeros(len(examples.y), dtype=np.float64)
    names = np.unique(examples.dataset)
    for name in names:
        rows = examples.dataset == name
        questions = len(np.unique(examples.group[rows]))
        weights[rows] = len(np.unique(examples.group)) / (len(names) * questions)
    return weights


def fit(examples: Examples, c: float = C, note: dict[str, object] | None = None) -> FusionWeights:
    """Standardise, fit an L2 logistic regression, return the weights in the retriever's format."""
    mean = examples.x.mean(axis=0)
    scale = examples.x.std(axis=0)
    scale[scale < 1e-6] = 1.0
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
    model.fit((examples.x - mean) / scale, examples.y, sample_weight=dataset_weights(examples))
    return FusionWeights(
        features=list(FEATURES),
        mean=[round(float(v), 6) for v in mean],
        scale=[round(float(v), 6) for v in scale],
        coef=[round(float(v), 6) for v in model.coef_[0]],
        intercept=round(float(model.intercept_[0]), 6),
        trained_on={
            "rows": len(examples.y),
            "positives": int(examples.y.sum()),
            "questions_x_policies": len(np.unique(examples.group)),
            "C": c,
            "weighting": "each eval set the same total weight",
            **(note or {}),
        },
    )
