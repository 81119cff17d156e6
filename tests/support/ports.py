"""Loopback ports for test servers."""

from __future__ import annotations

import socket
from contextlib import closing


def free_port() -> int:
    """A loopback TCP port that was free a moment ago."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def is_listening(port: int) -> bool:
    """True when something accepts TCP connections on the loopback port."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0
