"""Shared paths and the terraform runner for the infrastructure tests (imported by conftest and tests)."""

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TERRAFORM_DIR = REPO / "infra" / "terraform"
PROVIDER_MIRROR = Path("/opt/tf-plugins")


@dataclass(frozen=True)
class Terraform:
    """A terraform binary with a per-run CLI config, plugin cache and scratch copy of infra/terraform."""

    binary: str
    env: dict[str, str]
    workdir: Path

    def run(
        self, *args: str, cwd: Path, data_dir: Path, timeout: float = 300, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run one terraform command with its own TF_DATA_DIR; fails the test with the output on error."""
        env = {**self.env, "TF_DATA_DIR": str(data_dir)}
        proc = subprocess.run(
            [self.binary, *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and proc.returncode != 0:
            pytest.fail(
                f"terraform {' '.join(args)} in {cwd} failed ({proc.returncode}):\n"
                f"{proc.stdout}\n{proc.stderr}"
            )
        return proc

    def root(self, relative: str) -> Path:
        """A module or root inside the scratch copy."""
        return self.workdir / relative
