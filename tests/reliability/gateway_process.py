"""A `rag-gateway` subprocess on a loopback port: start it, wait for it, signal it, read its logs and RSS."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
from support.ports import free_port, is_listening

__all__ = ["GatewayProcess", "free_port", "is_listening", "running_gateway", "start_gateway", "wait_healthy"]

START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 15.0


def gateway_command() -> list[str]:
    """The installed `rag-gateway` console script next to this interpreter."""
    script = Path(sys.executable).with_name("rag-gateway")
    return [str(script)] if script.exists() else [sys.executable, "-m", "gateway"]


def gateway_env(**settings: Any) -> dict[str, str]:
    """This process's environment without inherited RAG_* variables, plus `settings` as RAG_<NAME>."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("RAG_")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PYTHONUNBUFFERED="1")
    for name, value in settings.items():
        if value is None:
            continue
        env[f"RAG_{name.upper()}"] = str(value).lower() if isinstance(value, bool) else str(value)
    return env


@dataclass
class GatewayProcess:
    """A started gateway process and where its output goes."""

    process: subprocess.Popen[bytes]
    port: int
    stdout_path: Path
    stderr_path: Path

    @property
    def url(self) -> str:
        """Root URL (no /v1)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """OpenAI base URL."""
        return self.url + "/v1"

    @property
    def pid(self) -> int:
        """Process id."""
        return self.process.pid

    def stderr(self) -> str:
        """Everything the process wrote to stderr so far."""
        return self.stderr_path.read_text(errors="replace")

    def logs(self) -> str:
        """stdout and stderr so far (the gateway logs to stderr)."""
        return self.stdout_path.read_text(errors="replace") + self.stderr()

    def rss_bytes(self) -> int:
        """Resident set size of the gateway process."""
        return int(psutil.Process(self.pid).memory_info().rss)

    def signal(self, signum: int) -> None:
        """Send a signal to the gateway."""
        self.process.send_signal(signum)

    def wait(self, timeout_s: float) -> int:
        """Exit status, waiting at most `timeout_s`."""
        return self.process.wait(timeout=timeout_s)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not exited in time."""
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT_S)


def start_gateway(log_dir: Path, **settings: Any) -> GatewayProcess:
    """Launch the gateway with `settings` (GatewaySettings field names) on a free port; does not wait."""
    port = int(settings.pop("port", None) or free_port())
    log_dir.mkdir(parents=True, exist_ok=True)
    stdout_path = log_dir / f"gateway-{port}.out"
    stderr_path = log_dir / f"gateway-{port}.err"
    env = gateway_env(host="127.0.0.1", port=port, **settings)
    with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
        process = subprocess.Popen(
            gateway_command(), env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=log_dir
        )
    return GatewayProcess(process, port, stdout_path, stderr_path)


def wait_healthy(gateway: GatewayProcess, timeout_s: float = START_TIMEOUT_S) -> None:
    """Poll /health until it answers 200; fail with the gateway's stderr if it exits or times out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if gateway.process.poll() is not None:
            code = gateway.process.returncode
            raise RuntimeError(f"gateway exited with {code} before serving:\n{gateway.stderr()[-3000:]}")
        try:
            if httpx.get(gateway.url + "/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    gateway.stop()
    raise TimeoutError(
        f"gateway did not answer /health within {timeout_s:.0f} s:\n{gateway.stderr()[-3000:]}"
    )


@contextmanager
def running_gateway(log_dir: Path, **settings: Any) -> Iterator[GatewayProcess]:
    """A healthy gateway for the duration of the block; always stopped afterwards."""
    gateway = start_gateway(log_dir, **settings)
    try:
        wait_healthy(gateway)
        yield gateway
    finally:
        gateway.stop()
