"""terraform fmt -check and validate on every module, the env root and the example."""

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from tfkit import TERRAFORM_DIR, Terraform

pytestmark = pytest.mark.infra

ROOTS = sorted(
    [f"modules/{p.name}" for p in (TERRAFORM_DIR / "modules").iterdir() if p.is_dir()]
    + ["envs/prod"]
    + [f"examples/{p.name}" for p in (TERRAFORM_DIR / "examples").iterdir() if p.is_dir()]
)

REQUIRED_FILES = ("main.tf", "variables.tf", "outputs.tf", "versions.tf")


def test_fmt_check(terraform: Terraform):
    proc = terraform.run(
        "fmt",
        "-check",
        "-recursive",
        "-diff",
        cwd=terraform.workdir,
        data_dir=terraform.workdir / ".fmt",
        check=False,
    )
    assert proc.returncode == 0, f"terraform fmt would change:\n{proc.stdout}{proc.stderr}"


def test_validate_every_root(terraform: Terraform):
    def data_dir(root: str) -> Path:
        return terraform.workdir / ".data" / root.replace("/", "_")

    # Inits one after another: terraform's plugin cache is not safe for concurrent installs.
    for root in ROOTS:
        terraform.run(
            "init", "-backend=false", "-input=false", cwd=terraform.root(root), data_dir=data_dir(root)
        )

    # Each validate spends seconds loading the provider schema; run those side by side.
    def validate(root: str) -> str | None:
        proc = terraform.run(
            "validate", "-json", cwd=terraform.root(root), data_dir=data_dir(root), check=False
        )
        if proc.returncode != 0 or not json.loads(proc.stdout).get("valid"):
            return f"{root}: {proc.stdout}{proc.stderr}"
        return None

    with ThreadPoolExecutor(max_workers=4) as pool:
        errors = [e for e in pool.map(validate, ROOTS) if e]
    assert errors == [], "\n".join(errors)
    assert {"envs/prod", "examples/minimal", "modules/vllm"} <= set(ROOTS)


@pytest.mark.parametrize("module", [r for r in ROOTS if r.startswith("modules/")])
def test_module_layout_and_described_variables(module: str):
    path = TERRAFORM_DIR / module
    missing = [f for f in REQUIRED_FILES if not (path / f).is_file()]
    assert not missing, f"{module} lacks {missing}"
    text = (path / "variables.tf").read_text()
    blocks = text.split('variable "')[1:]
    for block in blocks:
        name = block.split('"', 1)[0]
        assert "description =" in block, f"{module}: variable {name} has no description"
        assert "type " in block or "type=" in block, f"{module}: variable {name} has no type"
