"""The answer benchmark's judge and citation scoring on hand-made cases."""

import pytest

from benchmarks.answers.client import Reply
from benchmarks.answers.judge import figures, is_numeric_gold, judge
from benchmarks.answers.scoring import aggregate, evidence_file_ids, score_reply
from benchmarks.financebench.questions import EvalQuestion

CAPEX = "What is the FY2018 capital expenditure amount (in USD millions) for 3M?"


@pytest.mark.parametrize(
    ("answer", "correct"),
    [
        ("3M spent $1,577 million [1].", True),
        ("Capital expenditures were $1.58 billion.", True),  # scale word against the question's unit
        ("It was 1577.", True),
        ("$1,600 million", False),  # 1.5 % off
        ("$1,577 thousand", False),
        ("The sources do not contain the capital expenditure.", False),
    ],
)
def test_numeric_gold_within_rounding(answer: str, correct: bool) -> None:
    assert judge(CAPEX, "$1577.00", answer).correct is correct


def test_percent_ratio_sign_and_precision() -> None:
    assert judge("margin?", "65.4%", "The gross margin was 0.654.").correct  # a ratio for a percentage
    assert judge("change?", "-0.02", "EPS fell by 0.02.").correct  # the sign is not checked
    assert judge("growth?", "1.9%", "It grew 1.94% [2].").correct  # within the gold's precision
    assert not judge("growth?", "1.9%", "It grew 2.0% [2].").correct
    assert not judge(
        "ratio?", "24.26", "The ratio was 24.26% [1]."
    ).correct  # a percent is not a plain number


def test_lexical_judge_rules() -> None:
    gold = "No, the company is managing its CAPEX efficiently: CAPEX/Revenue Ratio: 5.1%"
    assert (
        judge("Is 3M capital-intensive?", gold, "No. Capex was 5.1% of revenue [1].").rule
        == "polarity+figures"
    )
    assert judge("Is 3M capital-intensive?", gold, "No. Capex was 5.1% of revenue [1].").correct
    assert not judge("Is 3M capital-intensive?", gold, "Yes, capex was 5.1% of revenue.").correct
    assert judge("Which segment grew most?", "Data Center", "The Data Center segment [1].").correct
    assert not judge("Which segment grew most?", "Data Center", "Gaming grew most [1].").correct


def test_figures_skip_years_and_markers() -> None:
    found = figures("In FY2022 net sales were $391.0 billion [3], up 8% from 2021.")
    assert [(f.value, f.is_year, f.percent) for f in found] == [
        (2022.0, True, False), (391.0, False, False), (8.0, False, True), (2021.0, True, False)
    ]  # fmt: skip
    assert found[1].scale == 1e9
    assert is_numeric_gold("$8.70") and not is_numeric_gold("AES has converted inventory 9.5 times")


def test_citation_precision_counts_markers_on_evidence_pages() -> None:
    question = EvalQuestion(
        "q", CAPEX, "3M_2018_10K", "3M_2018_10K", frozenset({59}), "MMM", 2018, "10-K", "x"
    )
    ids = evidence_file_ids(question, None)
    (evidence_id,) = ids
    sources = [
        {"file_id": evidence_id, "page": 60},  # 1-based page 60 is evidence page 59
        {"file_id": evidence_id, "page": 61},
        {"file_id": "file-other", "page": 60},
    ]
    reply = Reply(text="Capex was $1,577 million [1][2], see [3] and [9].", sources=sources, latency_s=1.0)
    row = score_reply(question, "$1577.00", reply, ids)
    assert (row.citations, row.citations_on_evidence, row.citations_unknown) == (4, 1, 1)
    assert row.correct and row.figures_checked is None  # no grounding object in this reply
    summary = aggregate([row])
    assert summary["citation_precision"] == 0.25 and summary["answers_citing_evidence"] == 1.0
