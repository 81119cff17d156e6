"""RAG_TOKENIZERS (model -> tokenizer folder or hub id) and the local Hugging Face cache lookup (never a
download)."""

import shutil
from pathlib import Path

import pytest
from gateway.prompt.tokens import EstimatingCounter, TokenCounters
from support.corpus import embedding_model_path
from tokenizers import Tokenizer

TEXT = "Apple's iPhone net sales decreased 2% in fiscal 2024, partially offset by Services."


def words(text: str) -> int:
    return len(text.split())


@pytest.fixture
def tokenizer_json() -> Path:
    """A real tokenizer.json (MiniLM's WordPiece), whose counts differ from the word-count fallback."""
    return Path(embedding_model_path()) / "tokenizer.json"


def expected(tokenizer_json: Path) -> int:
    """Counted here with the tokenizers library itself (its file pads to 128: padding off)."""
    tokenizer = Tokenizer.from_file(str(tokenizer_json))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return len(tokenizer.encode(TEXT, add_special_tokens=False).ids)


def test_mapped_model_counts_with_the_tokenizer_in_its_folder(tmp_path, tokenizer_json):
    folder = tmp_path / "served-model-tokenizer"
    folder.mkdir()
    shutil.copy(tokenizer_json, folder / "tokenizer.json")
    fallback = EstimatingCounter(words, 1.0)
    counters = TokenCounters({"served-model": str(folder)}, fallback)

    mapped = counters.for_model("served-model")
    assert mapped.name == str(folder)
    assert mapped(TEXT) == expected(tokenizer_json) != words(TEXT)
    assert counters.cached("served-model") is mapped
    # a model the map does not name, with no local tokenizer, falls back
    assert counters.for_model("not-mapped").name == fallback.name
    assert counters.for_model("not-mapped")(TEXT) == words(TEXT)


def test_hub_id_is_found_in_the_local_hugging_face_cache(tmp_path, tokenizer_json, monkeypatch):
    import huggingface_hub.constants

    # The cache layout huggingface_hub writes: models--<org>--<name>/{refs/main, snapshots/<rev>/...}
    hub = tmp_path / "hub"
    repo = hub / "models--acme--tiny-llm"
    snapshot = repo / "snapshots" / ("a" * 40)
    snapshot.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("a" * 40)
    shutil.copy(tokenizer_json, snapshot / "tokenizer.json")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(hub))

    fallback = EstimatingCounter(words, 1.0)
    cached = TokenCounters({"tiny": "acme/tiny-llm"}, fallback).for_model("tiny")
    assert cached.name == "acme/tiny-llm"
    assert cached(TEXT) == expected(tokenizer_json)
    # a hub id that is not in the cache is never downloaded: the fallback counts
    missing = TokenCounters({"other": "acme/not-cached"}, fallback).for_model("other")
    assert missing.name == fallback.name
