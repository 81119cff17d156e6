"""Idle keep-alive connections outlive the load balancer's idle timeout.

The ALB in front of the gateway (infra/terraform/modules/gateway: idle_timeout = 600) reuses idle target
connections; a target that closes them first (uvicorn's default is 5 s) races the ALB's next request and the
client gets a 502. Under load the same race showed up here as a client ReadError on a reused connection."""

from __future__ import annotations

import select
import socket
import time

IDLE_S = 7.0  # longer than uvicorn's 5 s default, far shorter than the ALB's 600 s


def get_health(sock: socket.socket) -> bytes:
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n")
    ready, _, _ = select.select([sock], [], [], 10)
    assert ready, "no answer"
    return sock.recv(65536)


def test_an_idle_connection_is_still_served_after_7_s(gateway):
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=10) as sock:
        assert get_health(sock).startswith(b"HTTP/1.1 200")
        time.sleep(IDLE_S)
        second = get_health(sock)
    assert second.startswith(b"HTTP/1.1 200"), f"the gateway closed an idle keep-alive connection: {second!r}"
