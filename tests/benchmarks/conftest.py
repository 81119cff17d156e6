"""Benchmark tool tests: ``benchmarks`` is a top-level folder, not an installed package."""

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
# `pytest` (unlike `python -m pytest`) does not put the working directory on sys.path
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
