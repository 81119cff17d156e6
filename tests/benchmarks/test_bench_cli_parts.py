"""Small pieces of the benchmark CLI: argument parsing, variant settings, results index."""

import argparse
from pathlib import Path

import pytest

from benchmarks.embedding.command import parse_backends
from benchmarks.loadgen.command import parse_levels
from benchmarks.overhead.command import env_pair
from benchmarks.overhead.stack import StackConfig, gateway_environment
from benchmarks.short import write_index


def test_concurrency_levels() -> None:
    assert parse_levels("1,2, 64") == [1, 2, 64]


def test_backends_are_checked() -> None:
    assert parse_backends("onnx, torch") == ["onnx", "torch"]
    with pytest.raises(SystemExit):
        parse_backends("tensorflow")


def test_variant_settings_are_rag_pairs() -> None:
    assert env_pair("RAG_UPSTREAM_HTTP_CLIENT=httpx") == ("RAG_UPSTREAM_HTTP_CLIENT", "httpx")
    with pytest.raises(argparse.ArgumentTypeError):
        env_pair("no-equals-sign")


def test_gateway_environment_is_production_like(tmp_path: Path) -> None:
    env = gateway_environment(StackConfig(index_dir=tmp_path, embedding_model="m"), 1234, "http://u/v1")
    assert env["RAG_PORT"] == "1234" and env["RAG_DEFAULT_UPSTREAM"] == "http://u/v1"
    assert env["RAG_RATE_LIMIT_PER_MINUTE"] == "0" and env["RAG_RETRIES"] == "0"


def test_results_index_lists_tables_and_plots(tmp_path: Path) -> None:
    (tmp_path / "load.md").write_text("# load\n\n| a |\n", encoding="utf-8")
    (tmp_path / "load_ttft.png").write_bytes(b"png")
    write_index(tmp_path)
    index = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert "## load" in index
    assert "![load_ttft](load_ttft.png)" in index
