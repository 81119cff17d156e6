"""What-if gateway variants for before/after measurements, applied as start-up patches (never shipped).

Run as ``python -m benchmarks.overhead.variants inline-deps -- <rag-gateway args>``. Each
patch reproduces one suggested change to services/gateway so its effect can be measured next to the
unmodified gateway under the same load; the owners of services/gateway decide whether to adopt it.
"""

import sys
from collections.abc import Callable
from typing import Any


def inline_deps() -> None:
    """FastAPI runs plain ``def`` dependencies in a worker thread; run them inline, as ``async def`` would."""
    import fastapi.dependencies.utils as dependency_utils

    async def run_inline(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    dependency_utils.run_in_threadpool = run_inline  # type: ignore[assignment]


VARIANTS: dict[str, Callable[[], None]] = {"inline-deps": inline_deps}


def main(argv: list[str]) -> int:
    """Apply the named patches, then run the gateway's own CLI."""
    names = [n for n in argv[0].split(",") if n] if argv else []
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        print(f"unknown variant(s) {unknown}; known: {sorted(VARIANTS)}", file=sys.stderr)
        return 2
    for name in names:
        VARIANTS[name]()
    from gateway.cli import main as gateway_main

    return gateway_main(argv[2:] if argv[1:2] == ["--"] else argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
