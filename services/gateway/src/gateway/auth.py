"""Bearer API keys, compared as sha256 digests in constant time."""

from __future__ import annotations

import hashlib
import hmac

from gateway.errors import GatewayError

ANONYMOUS = "anonymous"


def unauthorized() -> GatewayError:
    """The same 401 for a missing and a wrong key, so neither can be told apart."""
    return GatewayError(
        401,
        "Incorrect or missing API key. Send it as 'Authorization: Bearer <key>'.",
        code="invalid_api_key",
        headers={"WWW-Authenticate": "Bearer"},
    )


class ApiKeyAuth:
    """Checks bearer keys; with no keys configured every caller is `anonymous`."""

    def __init__(self, digests: frozenset[bytes]) -> None:
        self._digests = tuple(digests)

    @property
    def enabled(self) -> bool:
        """Whether keys are required."""
        return bool(self._digests)

    def principal(self, authorization: str | None) -> str:
        """A non-secret id for the caller (digest prefix), or raise 401."""
        if not self._digests:
            return ANONYMOUS
        scheme, _, key = (authorization or "").partition(" ")
        digest = hashlib.sha256(key.strip().encode()).digest()
        matched = False
        for known in self._digests:  # no early exit: the time taken does not depend on which key matched
            matched |= hmac.compare_digest(digest, known)
        if scheme.lower() != "bearer" or not key.strip() or not matched:
            raise unauthorized()
        return "key-" + digest.hex()[:12]
