"""Client for the control endpoints, for tests and benchmark harnesses."""

from typing import Any

import httpx


class ControlClient:
    """Synchronous client of ``/control/*`` on one synthetic upstream."""

    def __init__(self, base_url: str, timeout: float = 5.0) -> None:
        self._http = httpx.Client(base_url=base_url.removesuffix("/v1"), timeout=timeout)

    def set_faults(self, **update: Any) -> dict[str, Any]:
        """Merge faults, e.g. ``set_faults(fail_next=2, fail_status=503, retry_after=1)``."""
        return self._post("/control/faults", update)

    def set_timing(self, **update: Any) -> dict[str, Any]:
        """Change timing, e.g. ``set_timing(ttft_ms=50, itl_ms=5, output_tokens=16)``."""
        return self._post("/control/timing", update)

    def set_reply(self, text: str | None, count: int | None = None) -> dict[str, Any]:
        """Answer the next ``count`` chat requests (None: all) with ``text``; ``None`` restores ``t0 t1``."""
        return self._post("/control/reply", {"text": text, "count": count})

    def faults(self) -> dict[str, Any]:
        """Current faults and timing."""
        return self._get("/control/faults")

    def stats(self) -> dict[str, Any]:
        """Counters, disconnects and the last request bodies."""
        return self._get("/control/stats")

    def last_request(self) -> dict[str, Any]:
        """Body of the most recent chat request."""
        requests = self.stats()["requests"]
        if not requests:
            raise LookupError("the upstream has received no chat request")
        body: dict[str, Any] = requests[-1]["body"]
        return body

    def reset(self) -> dict[str, Any]:
        """Clear faults, restore start-up timing, zero counters."""
        return self._post("/control/reset", {})

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()

    def __enter__(self) -> "ControlClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _get(self, path: str) -> dict[str, Any]:
        response = self._http.get(path)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self._http.post(path, json=body)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data
