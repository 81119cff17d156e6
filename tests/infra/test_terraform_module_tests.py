"""`terraform test` for every module with a tests/ folder: plans against a mocked AWS provider, no emulator.

These check what a plan decides from the variables alone (e.g. the gateway gets the reranker's settings only
when a reranker service exists), which the moto apply cannot show for every combination.
"""

import pytest
from tfkit import TERRAFORM_DIR, Terraform

pytestmark = pytest.mark.infra

MODULES_WITH_TESTS = sorted(
    {f"modules/{p.parent.parent.name}" for p in (TERRAFORM_DIR / "modules").glob("*/tests/*.tftest.hcl")}
)


def test_some_modules_have_terraform_tests():
    assert {"modules/gateway", "modules/vllm"} <= set(MODULES_WITH_TESTS)


@pytest.mark.parametrize("module", MODULES_WITH_TESTS)
def test_terraform_test_passes(terraform: Terraform, module: str):
    data_dir = terraform.workdir / ".data-test" / module.replace("/", "_")
    cwd = terraform.root(module)
    terraform.run("init", "-backend=false", "-input=false", cwd=cwd, data_dir=data_dir)
    proc = terraform.run("test", "-no-color", cwd=cwd, data_dir=data_dir, timeout=600, check=False)
    assert proc.returncode == 0, f"terraform test in {module} failed:\n{proc.stdout}\n{proc.stderr}"
    assert " 0 failed" in proc.stdout
