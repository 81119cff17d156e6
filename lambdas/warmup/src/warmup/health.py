"""HTTP health probe used in production; stdlib only so the zip needs no dependencies."""

import urllib.error
import urllib.request


def urllib_probe(url: str, timeout: float) -> int:
    """GET url and return the HTTP status code; raises OSError when unreachable."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"health URL must be http(s): {url!r}")
    request = urllib.request.Request(url, method="GET")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
