"""Fixtures every test folder may use: where the repository and the shared data live."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
# Shared fixtures (embedder, index, synthetic upstream, gateway factory) for every folder: tests/support.
pytest_plugins = ["support.plugin"]


def pytest_configure(config: pytest.Config) -> None:
    # Models never come from a hub in tests; every model is a local folder.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository's top folder."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The read-only shared data folder: `<repo>/../shared`, or env SHARED_DIR."""
    path = Path(os.environ.get("SHARED_DIR") or REPO_ROOT.parent / "shared").resolve()
    if not path.is_dir():
        pytest.fail(f"shared data folder {path} is missing; set SHARED_DIR")
    return path


@pytest.fixture(scope="session")
def corpus_dir(shared_dir: Path) -> Path:
    """The 10-K filings with their manifest.csv."""
    return shared_dir / "corpus" / "10k"
