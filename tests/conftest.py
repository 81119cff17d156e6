"""Fixtures every test folder may use: where the repository and the shared data live."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
# Models never come from a hub in tests; every model is a local folder. Set here, when pytest imports this
# first conftest, so it holds before any folder's conftest or plugin imports huggingface_hub or transformers
# (they read these once, at import).
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# Shared fixtures (embedder, index, synthetic upstream, gateway factory) for every folder: tests/support.
pytest_plugins = ["support.plugin"]


# Folders whose tests mostly wait on another process (real vLLM, terraform against moto, the Lambda package
# build). Under pytest-xdist (`make test`: `-n 2`) they run on one worker and every other folder on the
# second, so each session or module fixture (the vLLM stack, the moto apply, the two-filing index, the
# synthetic upstream) is set up by one worker only, and the waiting worker's core serves the in-process
# suites meanwhile.
STACK_FOLDERS = ("e2e", "infra", "lambdas", "scripts")


def worker_group(nodeid: str) -> str:
    """The worker group of a test id such as `tests/e2e/test_x.py::test_y`: "stack" or "in-process"."""
    parts = nodeid.split("::")[0].split("/")
    return "stack" if len(parts) > 2 and parts[0] == "tests" and parts[1] in STACK_FOLDERS else "in-process"


# A scheduler rather than `--dist loadgroup` with xdist_group marks: with pytest 9.2, xdist 3.8 cannot rename
# the node ids that loadgroup relies on, so every test became its own unit and both workers set up the
# same module fixtures (the moto apply twice).
@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    from xdist.scheduler import LoadScopeScheduling

    class FolderGroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return worker_group(nodeid)

    return FolderGroupScheduling(config, log)


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
