"""checkov over infra/terraform: zero failed checks; every skip is inline and carries a reason."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tfkit import REPO, TERRAFORM_DIR

pytestmark = [pytest.mark.infra, pytest.mark.slow]

TOOLS_VENV = REPO / ".venv-tools" / "checkov"
REQUIREMENTS = Path(__file__).with_name("requirements-checkov.txt")
MIN_REASON_CHARS = 25


def _checkov_binary() -> Path:
    """checkov from its own venv, created on first use (its pins clash with the app venv)."""
    binary = TOOLS_VENV / "bin" / "checkov"
    stamp = TOOLS_VENV / ".requirements"
    wanted = REQUIREMENTS.read_text()
    if binary.exists() and stamp.exists() and stamp.read_text() == wanted:
        return binary
    subprocess.run([sys.executable, "-m", "venv", str(TOOLS_VENV)], check=True)
    subprocess.run(
        [str(TOOLS_VENV / "bin" / "pip"), "install", "-q", "-r", str(REQUIREMENTS)],
        check=True,
        timeout=900,
    )
    stamp.write_text(wanted)
    return binary


@pytest.fixture(scope="module")
def report() -> dict:
    """checkov's JSON report for the terraform framework."""
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
    proc = subprocess.run(
        [
            str(_checkov_binary()),
            "-d",
            str(TERRAFORM_DIR),
            "--framework",
            "terraform",
            "--output",
            "json",
            "--compact",
            "--skip-download",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        check=False,
    )
    assert proc.stdout.strip(), f"checkov printed nothing (exit {proc.returncode}):\n{proc.stderr[-3000:]}"
    data = json.loads(proc.stdout)
    return data[0] if isinstance(data, list) else data


def test_no_failed_checks(report: dict):
    failed = [
        f"{c['check_id']} {c['resource']} ({c['file_path']}:{c['file_line_range']})"
        for c in report["results"]["failed_checks"]
    ]
    assert failed == [], "checkov failures:\n" + "\n".join(failed)
    assert report["summary"]["passed"] > 100


def test_every_skip_is_inline_with_a_reason(report: dict):
    skipped = report["results"]["skipped_checks"]
    assert skipped, "expected the documented inline skips"
    for check in skipped:
        reason = (check["check_result"].get("suppress_comment") or "").strip()
        assert len(reason) >= MIN_REASON_CHARS, (
            f"{check['check_id']} on {check['resource']} skipped without a reason"
        )
