"""One real local stack for the whole session: vLLM on CPU + the gateway over a small index of real filings.

The stack is started with the same scripts `make up` uses (scripts/stack.sh, scripts/ensure_index.sh), so
these tests also cover the local stack itself.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from openai import OpenAI
from support.corpus import TEST_CACHE
from support.ports import free_port

# Two filings of one company (a fiscal-year filter matters) and one of another (a ticker filter matters).
E2E_FILINGS = ("AAPL_FY2022_10K.pdf", "AAPL_FY2024_10K.html", "MSFT_FY2023_10K.pdf")
API_KEY = "e2e-test-key"
STACK_TIMEOUT_S = 1200


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.slow)


@dataclass(frozen=True)
class LocalStack:
    """Handle on a stack started by scripts/stack.sh, with its own state folder and ports."""

    repo: Path
    env: dict[str, str]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.env['GATEWAY_PORT']}/v1"

    @property
    def vllm_pid_file(self) -> Path:
        return Path(self.env["STATE_DIR"]) / "vllm.pid"

    def run(self, command: str) -> None:
        """Run one stack.sh command and fail the test run with its output if it fails."""
        result = subprocess.run(
            ["bash", str(self.repo / "scripts" / "stack.sh"), command],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=STACK_TIMEOUT_S,
            check=False,
        )
        if result.returncode != 0:
            pytest.fail(f"stack.sh {command} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")

    def stop_vllm(self) -> None:
        self.run("stop-vllm")

    def start_vllm(self) -> None:
        self.run("start-vllm")


@pytest.fixture(scope="session")
def manifest_rows(corpus_dir: Path) -> dict[str, dict[str, str]]:
    """Manifest rows of the e2e filings, keyed by file name."""
    with (corpus_dir / "manifest.csv").open(newline="") as handle:
        rows = {row["file"]: row for row in csv.DictReader(handle)}
    missing = [name for name in E2E_FILINGS if name not in rows]
    if missing:
        pytest.fail(f"{corpus_dir}/manifest.csv lacks {missing}")
    return {name: rows[name] for name in E2E_FILINGS}


@pytest.fixture(scope="session")
def e2e_corpus(
    tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path, manifest_rows: dict[str, dict[str, str]]
) -> Path:
    """A corpus folder with only the e2e filings (links to the shared files) and their manifest."""
    folder = tmp_path_factory.mktemp("e2e-corpus")
    rows = list(manifest_rows.values())
    with (folder / "manifest.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    for name in manifest_rows:
        (folder / name).symlink_to(corpus_dir / name)
    return folder


@pytest.fixture(scope="session")
def stack_env(
    repo_root: Path, tmp_path_factory: pytest.TempPathFactory, embedding_model: str
) -> dict[str, str]:
    """Environment for scripts/*.sh: fresh ports and state, inherited RAG_* and VLLM_BASE_URL dropped."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("RAG_") and key not in {"VLLM_BASE_URL", "STATE_DIR", "INDEX_DIR", "CORPUS_DIR"}
    }
    env.update(
        VENV=sys.prefix,
        GATEWAY_PORT=str(free_port()),
        VLLM_PORT=str(free_port()),
        STATE_DIR=str(tmp_path_factory.mktemp("e2e-state")),
        # Kept in the repository's git-ignored cache so a rerun reuses it when nothing changed.
        INDEX_DIR=str(repo_root / ".cache" / "index" / "e2e"),
        # The suite's retriever cache: the build reuses what other fixtures parsed and embedded, and they
        # reuse what it did (the filings overlap).
        RAG_CACHE_DIR=str(TEST_CACHE),
        EMBEDDING_MODEL=embedding_model,
        RAG_API_KEYS=API_KEY,
        RAG_LOG_JSON="false",
        # Correctness, not latency, is tested here: a five-passage prompt's prefill on 2 shared CPU cores can
        # pass the 60 s production default before SmolLM2's first token.
        RAG_TTFT_TIMEOUT="300",
        HF_HUB_OFFLINE="1",
    )
    return env


def build_index(repo_root: Path, env: dict[str, str]) -> None:
    """Build (or reuse) the index with the same script as `make index`."""
    result = subprocess.run(
        ["bash", str(repo_root / "scripts" / "ensure_index.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=STACK_TIMEOUT_S,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"index build failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")


@pytest.fixture(scope="session")
def local_stack(repo_root: Path, stack_env: dict[str, str], e2e_corpus: Path) -> Iterator[LocalStack]:
    """vLLM + gateway running in the background for the session; everything is stopped afterwards."""
    vllm_python = Path(stack_env.get("VLLM_VENV", repo_root / ".venv-vllm")) / "bin" / "python"
    model = Path(stack_env.get("VLLM_MODEL", repo_root / ".cache" / "models" / "smollm2-135m-instruct"))
    if not vllm_python.exists() or not (model / "config.json").exists():
        pytest.fail("vLLM virtualenv or local model missing: run `make vllm-venv model` (or `make test`)")
    stack = LocalStack(repo=repo_root, env=stack_env)
    try:
        # As in `make up`: vLLM loads while the index builds.
        stack.run("launch-vllm")
        build_index(repo_root, {**stack_env, "CORPUS_DIR": str(e2e_corpus)})
        stack.run("up")
        yield stack
    finally:
        stack.run("down")


@pytest.fixture(scope="session")
def served_model(local_stack: LocalStack) -> str:
    return local_stack.env.get("VLLM_SERVED_MODEL_NAME", "smollm2-135m-instruct")


@pytest.fixture(scope="session")
def stop_vllm(local_stack: LocalStack) -> Callable[[], None]:
    """Stops the stack's vLLM process group (the gateway keeps running)."""
    return local_stack.stop_vllm


@pytest.fixture(scope="session")
def start_vllm(local_stack: LocalStack) -> Callable[[], None]:
    """Starts the stack's vLLM again and returns once it is healthy."""
    return local_stack.start_vllm


@pytest.fixture(scope="session")
def gateway_url(local_stack: LocalStack) -> str:
    """The gateway's OpenAI base URL (ends in /v1)."""
    return local_stack.base_url


@pytest.fixture(scope="session")
def client(local_stack: LocalStack) -> OpenAI:
    """The official SDK pointed at the gateway; SDK retries off so status codes reach the test."""
    return OpenAI(base_url=local_stack.base_url, api_key=API_KEY, max_retries=0, timeout=300)
