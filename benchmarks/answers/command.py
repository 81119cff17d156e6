"""``python -m benchmarks answers``: FinanceBench answer accuracy through the gateway, per setting."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.answers.report import write_report
from benchmarks.answers.runner import SETTINGS, first_model, load_cases, run_setting, summarise
from benchmarks.answers.scoring import Scored, row_dict
from benchmarks.loadgen.machine import describe_machine

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def _settings(value: str) -> tuple[str, ...]:
    chosen = tuple(s.strip() for s in value.split(",") if s.strip())
    unknown = [s for s in chosen if s not in SETTINGS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"settings are {', '.join(SETTINGS)}; got {value!r}")
    return chosen


def add_parser(subparsers: Any) -> None:
    """Register the ``answers`` subcommand."""
    parser = subparsers.add_parser("answers", help="FinanceBench answer accuracy through the gateway")
    parser.add_argument("--base-url", required=True, help="the gateway's OpenAI-compatible base URL (…/v1)")
    parser.add_argument("--api-key", default=os.environ.get("OPENAI_API_KEY", "unused"))
    parser.add_argument("--model", default=None, help="default: first model of GET /v1/models")
    parser.add_argument("--settings", type=_settings, default=("rag",), help="comma list of rag,oracle,norag")
    parser.add_argument("--limit", type=int, default=None, help="only the first N questions (in file order)")
    parser.add_argument("--every", type=int, default=1, help="every Nth question: a spread-out subset")
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--passages", type=int, default=None, help="rag.max_num_results (default: gateway's)")
    parser.add_argument("--system", default=None, help="an extra system message sent with every question")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per request")
    parser.add_argument("--label", default="answers")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    parser.add_argument("--no-progress", action="store_true")
    parser.set_defaults(handler=main)


def _progress(setting: str, total: int, quiet: bool) -> Any:
    done = {"n": 0, "correct": 0}

    def show(row: Scored) -> None:
        done["n"] += 1
        done["correct"] += row.correct
        if not quiet:
            mark = "ok " if row.correct else ("ERR" if row.error else "-- ")
            print(f"[{setting} {done['n']}/{total} acc {done['correct']}/{done['n']}] {mark} {row.qid} "
                  f"{row.latency_s:.1f}s {row.answer[:90]!r}", file=sys.stderr, flush=True)  # fmt: skip

    return show


def main(args: argparse.Namespace) -> None:
    """Run every chosen setting; write `<label>.json` (after each setting) and `<label>.md`."""
    cases = load_cases()[:: max(1, args.every)][: args.limit]
    model = args.model or asyncio.run(first_model(args.base_url, args.api_key))
    args.out.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {
        "label": args.label,
        "model": model,
        "base_url": args.base_url,
        "questions": len(cases),
        "options": {
            "max_tokens": args.max_tokens,
            "passages": args.passages,
            "system": args.system,
            "concurrency": args.concurrency,
            "every": args.every,
            "limit": args.limit,
        },
        "machine": describe_machine(),
        "settings": {},
        "rows": {},
    }
    for setting in args.settings:
        started = time.perf_counter()
        rows = asyncio.run(
            run_setting(
                args.base_url, args.api_key, cases, setting, model=model, max_tokens=args.max_tokens,
                passages=args.passages, system=args.system, concurrency=args.concurrency,
                timeout_s=args.timeout, on_row=_progress(setting, len(cases), args.no_progress),
            )
        )  # fmt: skip
        result["settings"][setting] = summarise(setting, rows, started)
        result["rows"][setting] = [row_dict(r) for r in rows]
        (args.out / f"{args.label}.json").write_text(json.dumps(result, indent=1) + "\n")
    write_report(result, args.out / f"{args.label}.md")
    print(args.out / f"{args.label}.md")
