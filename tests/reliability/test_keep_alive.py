"""Idle keep-alive connections outlive the load balancer's idle timeout.

The ALB in front of the gateway (infra/terraform/modules/gateway: idle_timeout = 600) reuses idle target
connections; a target that closes them first (uvicorn's default is 5 s) races the ALB's next request and the
client gets a 502. Under load the same race showed up here as a client ReadError on a reused connection."""

from __future__ import annotations

import http.client
import socket
import time

IDLE_S = 7.0  # longer than uvicorn's 5 s default, far shorter than the ALB's 600 s


def get_health(sock: socket.socket) -> int:
    """One request on this very socket; the full response is read (headers and body may arrive in separate
    segments), so the next request starts on a clean stream."""
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n")
    response = http.client.HTTPResponse(sock)
    response.begin()
    response.read()
    return response.status


def test_an_idle_connection_is_still_served_after_7_s(gateway):
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=10) as sock:
        assert get_health(sock) == 200
        time.sleep(IDLE_S)
        try:
            second = get_health(sock)
        except (http.client.RemoteDisconnected, ConnectionError) as exc:
            raise AssertionError(f"the gateway closed an idle keep-alive connection: {exc!r}") from exc
    assert second == 200
