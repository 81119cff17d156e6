"""Where the evaluation reads shared data and writes caches and results."""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIR = Path(__file__).resolve().parent
TICKERS_CSV = PACKAGE_DIR / "tickers.csv"
RESULTS_DIR = PACKAGE_DIR / "results"


def shared_dir() -> Path:
    """Shared data folder: $SHARED_DIR or <repo>/../shared."""
    env = os.environ.get("SHARED_DIR")
    return Path(env) if env else REPO_ROOT.parent / "shared"


def financebench_dir() -> Path:
    """FinanceBench sample: questions, document information and the PDFs."""
    return shared_dir() / "eval" / "financebench"


def corpus_dir() -> Path:
    """The 20 real 10-K filings with their manifest.csv."""
    return shared_dir() / "corpus" / "10k"


def cache_dir() -> Path:
    """Git-ignored working folder: generated manifest, parse and embedding caches, index variants."""
    env = os.environ.get("FINANCEBENCH_CACHE")
    return Path(env) if env else REPO_ROOT / ".cache" / "financebench"
