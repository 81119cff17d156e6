"""``python -m benchmarks short``: what `make bench` runs: a synthetic load sweep and the gateway overhead."""

import argparse
from pathlib import Path
from typing import Any

from benchmarks.loadgen import command as load_command
from benchmarks.loadgen.machine import results_dir
from benchmarks.overhead import command as overhead_command
from benchmarks.overhead.stack import default_index_dir


def add_parser(subparsers: Any) -> None:
    """Register the ``short`` subcommand."""
    parser = subparsers.add_parser("short", help="make bench: synthetic sweep (1..64) + overhead at 64")
    parser.add_argument(
        "--index-dir", type=Path, default=None, help="default $INDEX_DIR or .cache/index/local"
    )
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-progress", action="store_true")
    parser.set_defaults(handler=main)


def _sub_args(parser_name: str, argv: list[str]) -> argparse.Namespace:
    root = argparse.ArgumentParser()
    subparsers = root.add_subparsers()
    {"load": load_command, "overhead": overhead_command}[parser_name].add_parser(subparsers)
    return root.parse_args([parser_name, *argv])


def main(args: argparse.Namespace) -> None:
    """Run both parts into one results folder and index them in its README.md."""
    out = args.out or results_dir()
    index_dir = args.index_dir or default_index_dir()
    if not index_dir.exists():
        raise SystemExit(f"bench: no index at {index_dir}; run `make index` or pass --index-dir")
    common = ["--out", str(out)] + (["--no-progress"] if args.no_progress else [])
    load_command.main(
        _sub_args("load", ["--synthetic", "--concurrency", "1,4,16,64", "--requests-per-worker", "3",
                           "--check-sequence", "--label", "synthetic_sweep", *common])
    )  # fmt: skip
    overhead_argv = [
        "--concurrency", "64", "--rounds", str(args.rounds), "--index-dir", str(index_dir),
        "--arms", "direct,gateway,gateway_norag", "--label", "overhead_c64", *common,
    ]  # fmt: skip
    overhead_command.main(_sub_args("overhead", overhead_argv))
    write_index(out)


def write_index(out: Path) -> None:
    """``README.md`` of a results folder: every table and plot in it."""
    parts = [f"# Results: {out.name}\n", "Machine and settings: see the `machine` block of each JSON file.\n"]
    for table in sorted(out.glob("*.md")):
        if table.name != "README.md":
            parts.append(table.read_text(encoding="utf-8").replace("# ", "## ", 1))
    parts += [f"![{png.stem}]({png.name})\n" for png in sorted(out.glob("*.png"))]
    (out / "README.md").write_text("\n".join(parts), encoding="utf-8")
