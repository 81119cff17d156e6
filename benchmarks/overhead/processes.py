"""Server processes started by a benchmark: launch on loopback, wait until ready, sample CPU, stop."""

import logging
import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

logger = logging.getLogger(__name__)


@dataclass
class ServerProcess:
    """A started server with its log file and a CPU-time baseline for utilisation figures."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    port: int | None = None
    _psutil: psutil.Process = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._psutil = psutil.Process(self.process.pid)

    def cpu_seconds(self) -> float:
        """User+system CPU seconds of the process and its children so far."""
        try:
            procs = [self._psutil, *self._psutil.children(recursive=True)]
            return float(sum(p.cpu_times().user + p.cpu_times().system for p in procs))
        except psutil.NoSuchProcess:
            return 0.0

    def rss_mb(self) -> float:
        """Resident memory of the main process in MiB."""
        try:
            return float(self._psutil.memory_info().rss) / 2**20
        except psutil.NoSuchProcess:
            return 0.0

    def stop(self, timeout_s: float = 10.0) -> int | None:
        """SIGTERM, then SIGKILL after ``timeout_s``; returns the exit code."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                logger.warning("%s did not exit after SIGTERM; killing it", self.name)
                self.process.kill()
                self.process.wait(timeout=timeout_s)
        return self.process.returncode


def start_server(
    name: str,
    command: Sequence[str],
    ready_url: str,
    log_dir: Path,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 180.0,
    port: int | None = None,
) -> ServerProcess:
    """Launch ``command``, logging to ``<log_dir>/<name>.log``, and wait until ``ready_url`` answers 200."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            list(command), stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )
    server = ServerProcess(name, process, log_path, port)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{name} exited with code {process.returncode} before ready:\n{tail}")
        try:
            if httpx.get(ready_url, timeout=2.0).status_code == 200:
                logger.info("%s ready at %s (pid %d)", name, ready_url, process.pid)
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.stop()
    raise TimeoutError(f"{name} not ready at {ready_url} within {timeout_s:.0f} s; see {log_path}")
