"""Small pieces of the benchmark CLI: argument parsing, variants, results index."""

from pathlib import Path

import pytest

from benchmarks.embedding.command import parse_backends
from benchmarks.loadgen.command import parse_levels
from benchmarks.overhead.variants import main as variants_main
from benchmarks.short import write_index


def test_concurrency_levels() -> None:
    assert parse_levels("1,2, 64") == [1, 2, 64]


def test_backends_are_checked() -> None:
    assert parse_backends("onnx, torch") == ["onnx", "torch"]
    with pytest.raises(SystemExit):
        parse_backends("tensorflow")


def test_unknown_variant_is_refused() -> None:
    assert variants_main(["no-such-variant"]) == 2


def test_results_index_lists_tables_and_plots(tmp_path: Path) -> None:
    (tmp_path / "load.md").write_text("# load\n\n| a |\n", encoding="utf-8")
    (tmp_path / "load_ttft.png").write_bytes(b"png")
    write_index(tmp_path)
    index = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert "## load" in index
    assert "![load_ttft](load_ttft.png)" in index
