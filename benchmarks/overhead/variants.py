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

    # a module attribute the type stubs do not export; patched by name
    setattr(dependency_utils, "run_in_threadpool", run_inline)  # noqa: B010


def memo_counts() -> None:
    """Remember token counts per text: stands in for chunk token counts precomputed at index build time."""
    from gateway.prompt.tokens import EstimatingCounter

    original = EstimatingCounter.__call__
    limit = 50_000

    def counted(self: EstimatingCounter, text: str) -> int:
        memo: dict[str, int] = self.__dict__.setdefault("_memo", {})
        count = memo.get(text)
        if count is None:
            if len(memo) >= limit:
                memo.clear()
            count = memo[text] = original(self, text)
        return count

    EstimatingCounter.__call__ = counted


def ort_one_thread() -> None:
    """One ONNX Runtime intra-op thread, so query embedding does not compete with the event loop's core."""
    import onnxruntime

    session_class = onnxruntime.InferenceSession

    def one_thread_session(path: str, options: Any = None, **kwargs: Any) -> Any:
        options = options or onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        return session_class(path, options, **kwargs)

    onnxruntime.InferenceSession = one_thread_session


VARIANTS: dict[str, Callable[[], None]] = {
    "inline-deps": inline_deps,
    "memo-counts": memo_counts,
    "ort-1-thread": ort_one_thread,
}


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

    return int(gateway_main(argv[2:] if argv[1:2] == ["--"] else argv[1:]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
