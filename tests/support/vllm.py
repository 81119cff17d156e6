"""A vLLM process started by scripts/vllm_serve.sh (as the local stack starts it), for tests of one server."""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.ports import free_port

START_TIMEOUT_S = 900  # ~1 min on an idle 2-core machine, 3-4 min while other suites run


@dataclass
class VllmServer:
    """A running vllm_serve.sh process group, its OpenAI base URL and its log."""

    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        # vllm_serve.sh execs vLLM as the group leader; its engine and worker processes share the group.
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)


def start_vllm(repo_root: Path, log: Path, **settings: str) -> VllmServer:
    """Start vllm_serve.sh with `settings` (VLLM_MODEL, VLLM_EXTRA_ARGS, ...) and wait until it is healthy.

    Fails the test (with the script's output) when vLLM does not come up; the caller stops it.
    """
    port = free_port()
    env = {**os.environ, "VLLM_PORT": str(port), **settings}
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["bash", str(repo_root / "scripts" / "vllm_serve.sh")],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = VllmServer(process, f"http://127.0.0.1:{port}/v1", log)
    waited = subprocess.run(
        [
            "bash",
            str(repo_root / "scripts" / "wait_healthy.sh"),
            f"http://127.0.0.1:{port}/health",
            str(START_TIMEOUT_S),
            str(process.pid),
            str(log),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if waited.returncode != 0:
        server.stop()
        pytest.fail(f"vLLM ({settings.get('VLLM_MODEL')}) did not become healthy:\n{waited.stderr}")
    return server
