"""``python -m benchmarks load``: sweep concurrency against one OpenAI-compatible endpoint."""

import argparse
import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from synthetic_upstream.testing import run_upstream

from benchmarks.loadgen import eventloop
from benchmarks.loadgen.machine import describe_machine, results_dir
from benchmarks.loadgen.prompts import load_prompts
from benchmarks.loadgen.report import markdown_table, plot_sweeps, write_json
from benchmarks.loadgen.request import RequestSpec
from benchmarks.loadgen.runner import make_client, measure_run, requests_for, warm_up
from benchmarks.loadgen.summary import RunSummary

logger = logging.getLogger(__name__)


def parse_levels(text: str) -> list[int]:
    """``"1,2,4"`` → ``[1, 2, 4]``."""
    levels = [int(part) for part in text.split(",") if part.strip()]
    if not levels or min(levels) < 1:
        raise argparse.ArgumentTypeError("concurrency levels must be positive integers")
    return levels


def parse_rag(text: str) -> bool | None:
    """``on``/``off`` set ``extra_body.rag.enabled``; ``unset`` sends no rag block."""
    return {"on": True, "off": False, "unset": None}[text]


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags shared by ``load`` and ``overhead``."""
    parser.add_argument("--concurrency", type=parse_levels, default=[1, 2, 4, 8, 16, 32, 64])
    parser.add_argument("--requests-per-worker", type=int, default=4, help="requests per level = conc x this")
    parser.add_argument("--min-requests", type=int, default=16)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--prompts", default="fqa10k", help="fqa10k, fixed, or a .txt/.jsonl file")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--out", type=Path, default=None, help="results folder (default results/<date>_<machine>)"
    )
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument(
        "--client-mode",
        choices=["parsed", "lines"],
        default="lines",
        help="lines: SDK raw streaming response + json.loads (default, ~4x less client CPU); "
        "parsed: SDK ChatCompletionChunk objects",
    )


def add_parser(subparsers: Any) -> None:
    """Register the ``load`` subcommand."""
    parser = subparsers.add_parser("load", help="concurrency sweep against one endpoint")
    parser.add_argument("--base-url", help="OpenAI-compatible base URL ending in /v1")
    parser.add_argument("--synthetic", action="store_true", help="start a synthetic upstream and target it")
    parser.add_argument("--ttft-ms", type=float, default=200.0, help="synthetic upstream TTFT")
    parser.add_argument("--itl-ms", type=float, default=20.0, help="synthetic upstream inter-token latency")
    parser.add_argument("--model", default=None, help="default: first model of GET /v1/models")
    parser.add_argument("--api-key", default=os.environ.get("OPENAI_API_KEY", "unused"))
    parser.add_argument("--rag", type=parse_rag, default=None, help="on, off or unset (default)")
    parser.add_argument("--check-sequence", action="store_true", help="verify the synthetic t0 t1 ... tokens")
    parser.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        help="client timeout per request in s (a CPU prefill can take longer)",
    )
    parser.add_argument("--label", default="load")
    add_common_arguments(parser)
    parser.set_defaults(handler=main)


@contextlib.contextmanager
def _target(args: argparse.Namespace) -> Iterator[str]:
    if args.synthetic:
        with run_upstream(
            ttft_ms=args.ttft_ms, itl_ms=args.itl_ms, max_output_tokens=max(args.max_tokens, 1)
        ) as up:
            yield up.base_url
    elif args.base_url:
        yield args.base_url
    else:
        raise SystemExit("load: pass --base-url URL or --synthetic")


async def sweep(args: argparse.Namespace, base_url: str) -> list[RunSummary]:
    """Warm up, then one measured run per concurrency level."""
    client = make_client(base_url, args.api_key, args.timeout)
    model = args.model or (await client.models.list()).data[0].id
    spec = RequestSpec(
        model=model,
        max_tokens=args.max_tokens,
        rag=args.rag,
        check_sequence=args.check_sequence,
        client_mode=args.client_mode,
    )
    total = max(requests_for(c, args.requests_per_worker, args.min_requests) for c in args.concurrency)
    prompts = load_prompts(args.prompts, total, args.seed)
    summaries = []
    async with client:
        for level in args.concurrency:
            ramp_s = await warm_up(client, spec, prompts, level)
            n = requests_for(level, args.requests_per_worker, args.min_requests)
            run = await measure_run(client, spec, prompts, level, n, args.label, not args.no_progress, ramp_s)
            summaries.append(run.summary())
    return summaries


def main(args: argparse.Namespace) -> Path:
    """Run the sweep and write ``<label>.json``, ``<label>.md`` and the plots."""
    out = args.out or results_dir()
    out.mkdir(parents=True, exist_ok=True)
    with _target(args) as base_url:
        summaries = eventloop.run(sweep(args, base_url))
    settings = {k: v for k, v in vars(args).items() if k not in {"handler", "api_key", "out"}}
    write_json(
        out / f"{args.label}.json",
        {"machine": describe_machine(), "settings": settings, "runs": [s.to_dict() for s in summaries]},
    )
    table = markdown_table(summaries)
    (out / f"{args.label}.md").write_text(f"# {args.label}\n\n{table}", encoding="utf-8")
    plot_sweeps({args.label: summaries}, out / args.label)
    print(table)
    logger.info("results in %s", out)
    return out
