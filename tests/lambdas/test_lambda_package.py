"""The Lambda zip: reproducible, only the warmup package, and the Terraform handler imports from it."""

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGER = REPO / "lambdas" / "warmup" / "package.py"
MODULE_MAIN = REPO / "infra" / "terraform" / "modules" / "warmup-lambda" / "main.tf"

pytestmark = pytest.mark.infra


def _build(out: Path) -> Path:
    subprocess.run([sys.executable, str(PACKAGER), str(out)], check=True, capture_output=True)
    return out


def test_zip_is_reproducible_and_minimal(tmp_path: Path):
    first = _build(tmp_path / "a.zip").read_bytes()
    second = _build(tmp_path / "b.zip").read_bytes()
    assert first == second
    names = zipfile.ZipFile(tmp_path / "a.zip").namelist()
    assert "warmup/handler.py" in names
    assert all(n.startswith("warmup/") and n.endswith(".py") for n in names)


def test_terraform_handler_imports_from_the_zip(tmp_path: Path):
    handler = re.search(r'handler\s*=\s*"([^"]+)"', MODULE_MAIN.read_text()).group(1)
    module, func = handler.rsplit(".", 1)
    package = _build(tmp_path / "warmup.zip")
    # -I: no site dirs from the checkout; boto3 is the only third-party import, as in the Lambda runtime.
    site = next(p for p in sys.path if p.endswith("site-packages"))
    code = (
        f"import sys; sys.path[:0] = [{str(package)!r}, {site!r}]; import {module} as m; "
        f"assert callable(m.{func}); print(m.__file__)"
    )
    proc = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().startswith(str(package))
