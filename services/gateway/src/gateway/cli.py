"""`rag-gateway`: load the index, then serve with uvicorn (graceful drain on SIGTERM)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path

import uvicorn
from pydantic import ValidationError
from retriever.index import IndexLoadError

from gateway.app import build_app, load_embedder, load_index
from gateway.logs import configure_logging, quiet_model_loading
from gateway.settings import GatewaySettings
from gateway.supervisor import serve_workers, server_options

logger = logging.getLogger(__name__)


def _after_drain(signum: int, frame: object) -> None:
    logger.info("shutdown after signal %d complete", signum)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:200]}" if text else type(exc).__name__


def _fail(message: str) -> int:
    print(f"rag-gateway: error: {message}", file=sys.stderr)
    return 2


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="rag-gateway", description="OpenAI-compatible RAG gateway (env: RAG_*)"
    )
    parser.add_argument("--host", help="overrides RAG_HOST")
    parser.add_argument("--port", type=int, help="overrides RAG_PORT")
    parser.add_argument("--index-dir", help="overrides RAG_INDEX_DIR")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Entry point; exits non-zero with one line when the settings or the index are unusable."""
    args = _parse_args(argv)
    overrides = {
        k: v for k, v in {"host": args.host, "port": args.port, "index_dir": args.index_dir}.items() if v
    }
    try:
        settings = GatewaySettings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        return _fail(f"invalid setting {'.'.join(str(p) for p in first['loc'])}: {first['msg']}")
    configure_logging(settings.log_level, settings.log_json)
    quiet_model_loading()
    if not Path(settings.index_dir).is_dir():
        # Fail before spending seconds on the embedding model; load() below explains the other cases.
        return _fail(f"no index found at {settings.index_dir} (run `rag-index build`)")
    try:
        embedder = load_embedder(settings)
    except Exception as exc:  # onnxruntime, safetensors and tokenizers each raise their own error types
        return _fail(f"cannot load embedding model {settings.embedding_model!r}: {_first_line(exc)}")
    try:
        index = load_index(settings, embedder)
    except IndexLoadError as exc:
        return _fail(str(exc).splitlines()[0] if str(exc) else "index could not be loaded")
    if settings.workers > 1:
        # The load above only proved that the workers will start; each loads its own copy.
        del embedder, index
        return serve_workers(settings, overrides)
    app = build_app(settings, embedder=embedder, index=index)
    # uvicorn drains on SIGTERM, restores the previous handler and re-raises the signal; with this no-op
    # in place a drained shutdown exits with status 0 instead of being killed by the re-raised SIGTERM.
    signal.signal(signal.SIGTERM, _after_drain)
    uvicorn.run(app, **server_options(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
