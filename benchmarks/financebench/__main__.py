"""``python -m benchmarks.financebench [--full]``: FinanceBench evidence-page recall over the shared index."""

import argparse
import logging
import os
import sys

from benchmarks.financebench.runner import add_arguments, run


def main(argv: list[str] | None = None) -> None:
    """Parse options and run the evaluation."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.financebench", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true")
    add_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(asctime)s %(name)s: %(message)s"
    )
    # The embedding model is a local folder; never reach for the hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    run(args)


if __name__ == "__main__":
    main(sys.argv[1:])
