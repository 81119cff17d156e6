"""``python -m benchmarks [--priority N] {load,overhead,short,embedding,breakdown,answers} ...``."""

import argparse
import logging
import sys

from benchmarks import short
from benchmarks.answers import command as answers_command
from benchmarks.breakdown import command as breakdown_command
from benchmarks.capacity import command as capacity_command
from benchmarks.embedding import command as embedding_command
from benchmarks.loadgen import command as load_command
from benchmarks.loadgen.priority import raise_priority
from benchmarks.overhead import command as overhead_command
from benchmarks.scale import command as scale_command


def main(argv: list[str] | None = None) -> None:
    """Parse the subcommand and run it."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument(
        "--priority",
        type=int,
        default=0,
        help="run it and its servers in an own autogroup at nice -N (needs root; loadgen/priority.py)",
    )
    subparsers = parser.add_subparsers(required=True)
    load_command.add_parser(subparsers)
    overhead_command.add_parser(subparsers)
    embedding_command.add_parser(subparsers)
    short.add_parser(subparsers)
    breakdown_command.add_parser(subparsers)
    scale_command.add_parser(subparsers)
    answers_command.add_parser(subparsers)
    capacity_command.add_parser(subparsers)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(asctime)s %(name)s: %(message)s"
    )
    for noisy in ("httpx", "httpx2", "openai"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    raise_priority(args.priority)
    args.handler(args)


if __name__ == "__main__":
    main(sys.argv[1:])
