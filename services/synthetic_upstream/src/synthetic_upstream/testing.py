"""Run a synthetic upstream on a free loopback port from tests or harnesses, and stop it afterwards."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import httpx
import uvicorn

from synthetic_upstream.app import build_app
from synthetic_upstream.client import ControlClient
from synthetic_upstream.settings import UpstreamSettings


@dataclass
class RunningUpstream:
    """A started upstream: where it listens and how to steer it."""

    base_url: str
    port: int
    control: ControlClient
    process: subprocess.Popen[bytes] | None = None

    @property
    def root_url(self) -> str:
        """URL without the ``/v1`` suffix."""
        return self.base_url.removesuffix("/v1")


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_listening(
    root_url: str, timeout_s: float = 15.0, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Poll ``/control/stats`` until the server answers, the process dies, or time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"synthetic upstream exited with code {process.returncode} before listening")
        try:
            httpx.get(root_url + "/control/stats", timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise TimeoutError(f"synthetic upstream at {root_url} did not answer within {timeout_s:.0f} s")


def stop_process(process: subprocess.Popen[bytes], timeout_s: float = 5.0) -> None:
    """SIGTERM, then SIGKILL if it does not exit in time."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout_s)


def upstream_command(port: int, **settings: Any) -> list[str]:
    """The ``python -m synthetic_upstream`` command line for ``settings`` (names as in UpstreamSettings)."""
    command = [sys.executable, "-m", "synthetic_upstream", "--host", "127.0.0.1", "--port", str(port)]
    for name, value in settings.items():
        if name == "models":
            for model in [value] if isinstance(value, str) else value:
                command += ["--model", model]
        elif isinstance(value, bool):
            if value:
                command.append("--" + name.replace("_", "-"))
        else:
            command += ["--" + name.replace("_", "-"), str(value)]
    return command


@contextmanager
def run_upstream(
    mode: Literal["subprocess", "thread"] = "subprocess", **settings: Any
) -> Iterator[RunningUpstream]:
    """Start an upstream on a free loopback port; ``settings`` are UpstreamSettings fields."""
    if mode == "thread":
        with _run_in_thread(UpstreamSettings(host="127.0.0.1", port=0, **settings)) as running:
            yield running
        return
    port = free_port()
    process = subprocess.Popen(upstream_command(port, **settings), env={**os.environ})
    base_url = f"http://127.0.0.1:{port}/v1"
    control = ControlClient(base_url)
    try:
        wait_until_listening(base_url.removesuffix("/v1"), process=process)
        yield RunningUpstream(base_url, port, control, process)
    finally:
        control.close()
        stop_process(process)


@contextmanager
def _run_in_thread(settings: UpstreamSettings) -> Iterator[RunningUpstream]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        build_app(settings), log_level=settings.log_level, access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{port}/v1"
    control = ControlClient(base_url)
    try:
        wait_until_listening(base_url.removesuffix("/v1"))
        yield RunningUpstream(base_url, port, control)
    finally:
        control.close()
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
