"""Fixtures for infra checks: terraform with an offline provider mirror, a moto server, tool venvs."""

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support.ports import free_port
from tfkit import PROVIDER_MIRROR, TERRAFORM_DIR, Terraform


@pytest.fixture(scope="session")
def terraform(tmp_path_factory: pytest.TempPathFactory) -> Terraform:
    """Terraform configured to install the AWS provider from the local mirror when there is one."""
    binary = shutil.which("terraform")
    if binary is None:
        pytest.fail("terraform is not on PATH (infra/README.md lists the prerequisites)")
    base = tmp_path_factory.mktemp("terraform")
    cache = base / "plugin-cache"
    cache.mkdir()
    env = {
        **os.environ,
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
        "TF_PLUGIN_CACHE_DIR": str(cache),
        "NO_COLOR": "1",
    }
    cli_config = base / "cli.tfrc"
    if PROVIDER_MIRROR.is_dir():
        cli_config.write_text(
            f'provider_installation {{\n  filesystem_mirror {{\n    path = "{PROVIDER_MIRROR}"\n  }}\n}}\n'
        )
    else:
        cli_config.write_text("")
    env["TF_CLI_CONFIG_FILE"] = str(cli_config)
    # A scratch copy: init, lock files, state and override files never touch the checkout.
    workdir = base / "terraform"
    shutil.copytree(
        TERRAFORM_DIR, workdir, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", "terraform.tfvars")
    )
    return Terraform(binary=binary, env=env, workdir=workdir)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto server on loopback (with the Step Functions calls it lacks, moto_sfn.py), stopped at the end."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # AWS-managed policies (AmazonECSTaskExecutionRolePolicy, ...) exist in moto only when loaded; without
    # them the provider retries each attachment as an IAM propagation delay for minutes.
    env = {**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("moto_sfn.py")), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/moto-api/", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"moto_server did not come up on {url}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
