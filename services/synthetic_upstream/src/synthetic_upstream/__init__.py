"""Fast fake OpenAI-compatible upstream with fault injection, for tests and benchmarks."""

from synthetic_upstream.app import build_app
from synthetic_upstream.settings import UpstreamSettings
from synthetic_upstream.tokens import check_token_sequence, expected_text

__all__ = ["UpstreamSettings", "build_app", "check_token_sequence", "expected_text"]
