"""Smoke test of the learned-fusion harness on a real two-filing index: collect, fit, score, write."""

from retriever.rerank.features import FEATURES
from retriever.rerank.learned import FusionWeights, LearnedFusion

from benchmarks.rerank.evaluate import recall
from benchmarks.rerank.labelled import Labelled, fold
from benchmarks.rerank.settings import INFERRED, NO_FILTER
from benchmarks.rerank.train import collect, fit

QUESTIONS = [
    ("How many full-time employees did Apple have?", "AAPL", "employ"),
    ("What were Apple's total net sales in fiscal 2024?", "AAPL", "net sales"),
    ("What does NVIDIA say about its data center platform?", "NVDA", "data center"),
    ("Who audits NVIDIA's financial statements?", "NVDA", "pricewaterhousecoopers"),
]


def _labelled() -> list[Labelled]:
    return [
        Labelled(
            f"q{n}",
            "smoke",
            q,
            ticker,
            lambda text, meta, w=word, t=ticker: w in text.lower() and meta.ticker == t,
            None,
        )
        for n, (q, ticker, word) in enumerate(QUESTIONS)
    ]


def test_fit_writes_weights_the_retriever_loads_and_recall_scores_them(search_index, tmp_path):
    questions = _labelled()
    vectors = search_index.embedder.embed_queries([q.question for q in questions])
    pairs = [(search_index, q, v) for q, v in zip(questions, vectors, strict=True)]
    examples = collect(pairs)
    assert examples.x.shape[1] == len(FEATURES) and examples.y.any() and not examples.y.all()
    weights = fit(examples, note={"fold": "smoke"})
    path = tmp_path / "w.json"
    weights.write(path)
    loaded = FusionWeights.read(path)
    assert loaded == weights and loaded.trained_on["fold"] == "smoke"
    fusion = LearnedFusion(loaded)
    # Trained on these very questions, the model must not rank worse than the fused order it reorders.
    plain = recall("none", pairs, NO_FILTER, None).figures()
    fused = recall("fusion", pairs, NO_FILTER, fusion).figures()
    assert fused["mrr@10"] >= plain["mrr@10"] and fused["n"] == len(questions)
    assert recall("inferred", pairs, INFERRED, {"A": fusion, "B": fusion}).figures()["n"] == len(questions)


def test_company_folds_are_fixed_and_use_both_sides():
    assert fold("AAPL") == fold("aapl")
    folds = {fold(t) for t in ("AAPL", "AMZN", "GOOGL", "META", "MSFT", "NVDA", "TSLA")}
    assert folds == {"A", "B"}
