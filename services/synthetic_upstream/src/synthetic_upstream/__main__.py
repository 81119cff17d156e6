"""CLI: ``python -m synthetic_upstream --port 8001 --ttft-ms 200 --itl-ms 20 --model NAME``."""

import argparse
import logging
from collections.abc import Sequence
from typing import Any

import uvicorn

from synthetic_upstream.app import build_app
from synthetic_upstream.settings import UpstreamSettings

_FLAGS: dict[str, tuple[type, str]] = {
    "host": (str, "bind address"),
    "port": (int, "bind port (0 picks a free one)"),
    "max_model_len": (int, "reported by /v1/models"),
    "ttft_ms": (float, "time to first token"),
    "itl_ms": (float, "inter-token latency"),
    "output_tokens": (int, "tokens emitted when max_tokens is absent"),
    "max_output_tokens": (int, "cap on max_tokens"),
    "recorded_requests": (int, "request bodies kept for /control/stats"),
    "fail_next": (int, "fail the first N requests"),
    "fail_status": (int, "status of injected failures"),
    "fail_retry_after": (float, "Retry-After seconds on injected failures"),
    "drop_after_tokens": (int, "drop every stream after N tokens"),
    "first_token_delay_s": (float, "extra delay before the first token"),
    "loading_s": (float, "answer /health with 503 for this long after start"),
    "log_level": (str, "uvicorn log level"),
}


def parse_settings(argv: Sequence[str] | None = None) -> UpstreamSettings:
    """Settings from flags, falling back to ``SYNTHETIC_UPSTREAM_*`` env vars and defaults."""
    parser = argparse.ArgumentParser(prog="synthetic-upstream", description=__doc__)
    parser.add_argument("--model", action="append", dest="models", help="served model name (repeatable)")
    for name, (kind, help_text) in _FLAGS.items():
        parser.add_argument("--" + name.replace("_", "-"), type=kind, help=help_text)
    parser.add_argument("--enforce-max-model-len", action="store_true", default=None)
    args = parser.parse_args(argv)
    overrides: dict[str, Any] = {k: v for k, v in vars(args).items() if v is not None}
    return UpstreamSettings(**overrides)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the upstream under uvicorn until interrupted."""
    settings = parse_settings(argv)
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    uvicorn.run(
        build_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=False,
        loop="uvloop",
        http="httptools",
        timeout_graceful_shutdown=2,
    )


if __name__ == "__main__":
    main()
