"""``python -m benchmarks overhead``: the same load direct to the upstream and through the gateway."""

import argparse
import contextlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from benchmarks.loadgen import eventloop
from benchmarks.loadgen.command import add_common_arguments
from benchmarks.loadgen.machine import describe_machine, results_dir
from benchmarks.loadgen.prompts import load_prompts
from benchmarks.loadgen.report import plot_sweeps, write_json
from benchmarks.loadgen.request import RequestSpec
from benchmarks.loadgen.runner import make_client, requests_for
from benchmarks.overhead.compare import Arm, Options, cpu_costs, measure_arms, meets_targets, ratios
from benchmarks.overhead.processes import ServerProcess
from benchmarks.overhead.report import overhead_markdown
from benchmarks.overhead.stack import BENCH_API_KEY, REPO_ROOT, StackConfig, running_stack

logger = logging.getLogger(__name__)

ARM_NAMES = ("direct", "gateway", "gateway_norag", "gateway_variant")


def env_pair(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def add_parser(subparsers: Any) -> None:
    """Register the ``overhead`` subcommand."""
    parser = subparsers.add_parser("overhead", help="gateway overhead vs direct upstream (alternating)")
    parser.add_argument("--arms", default="direct,gateway", help=f"comma list of {', '.join(ARM_NAMES)}")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per level (ABBA order)")
    parser.add_argument(
        "--variant-env",
        type=env_pair,
        action="append",
        default=[],
        help="RAG_X=Y for a second gateway (arm gateway_variant), e.g. the setting before a change",
    )
    parser.add_argument("--ttft-ms", type=float, default=200.0)
    parser.add_argument("--itl-ms", type=float, default=20.0)
    parser.add_argument("--model", default=None, help="default: first model of the upstream's /v1/models")
    parser.add_argument(
        "--index-dir", type=Path, default=None, help="default $INDEX_DIR or .cache/index/local"
    )
    parser.add_argument("--embedding-model", default=None, help="default: offline all-MiniLM-L6-v2 folder")
    parser.add_argument("--embedding-backend", choices=["torch", "onnx"], default=None)
    parser.add_argument("--gateway-env", type=env_pair, action="append", default=[], help="extra RAG_X=Y")
    parser.add_argument(
        "--upstream-url", help="use a running upstream (with --gateway-url) instead of starting"
    )
    parser.add_argument("--gateway-url", help="use a running gateway too (needs --upstream-url)")
    parser.add_argument("--upstream-api-key", default=os.environ.get("VLLM_API_KEY", "unused"))
    parser.add_argument("--gateway-api-key", default=os.environ.get("RAG_BENCH_API_KEY", BENCH_API_KEY))
    parser.add_argument("--label", default="overhead")
    add_common_arguments(parser)
    parser.set_defaults(
        handler=main, concurrency=[64], requests_per_worker=3, min_requests=32, client_mode="lines"
    )


@dataclass(frozen=True)
class Targets:
    """Where each arm sends its load, and the processes whose CPU is sampled."""

    upstream_url: str
    gateway_url: str
    variant_url: str | None
    servers: list[ServerProcess]


@contextlib.contextmanager
def _servers(args: argparse.Namespace, log_dir: Path) -> Iterator[Targets]:
    if args.upstream_url and args.gateway_url:
        yield Targets(args.upstream_url, args.gateway_url, None, [])
        return
    config = StackConfig(
        ttft_ms=args.ttft_ms,
        itl_ms=args.itl_ms,
        model=args.model or "synthetic-model",
        index_dir=args.index_dir,
        embedding_model=args.embedding_model,
        embedding_backend=args.embedding_backend,
        gateway_env=dict(args.gateway_env),
        variant_env=dict(args.variant_env),
    )
    with running_stack(config, log_dir, args.upstream_url) as stack:
        yield Targets(stack.upstream_url, stack.gateway_url, stack.variant_url, stack.servers)


def _arms(args: argparse.Namespace, model: str, targets: Targets) -> list[Arm]:
    names = [name.strip() for name in args.arms.split(",") if name.strip()]
    if not names or names[0] != "direct" or any(n not in ARM_NAMES for n in names):
        raise SystemExit(f"overhead: --arms must start with direct and use {', '.join(ARM_NAMES)}")
    if "gateway_variant" in names and targets.variant_url is None:
        raise SystemExit("overhead: arm gateway_variant needs --variant-env")
    synthetic = args.upstream_url is None  # only the synthetic upstream emits the checkable t0 t1 ... tokens
    arms = []
    for name in names:
        if name == "direct":
            spec = RequestSpec(model, args.max_tokens, check_sequence=synthetic, client_mode=args.client_mode)
            arms.append(Arm(name, make_client(targets.upstream_url, args.upstream_api_key), spec))
            continue
        url = targets.variant_url if name == "gateway_variant" else targets.gateway_url
        assert url is not None
        spec = RequestSpec(
            model,
            args.max_tokens,
            rag=name != "gateway_norag",
            check_sequence=synthetic,
            client_mode=args.client_mode,
        )
        process = "gateway_variant" if name == "gateway_variant" else "gateway"
        client = make_client(url, args.gateway_api_key)
        arms.append(Arm(name, client, spec, gateway_root=url.removesuffix("/v1"), gateway_process=process))
    return arms


async def _measure(args: argparse.Namespace, targets: Targets) -> list[Arm]:
    model = args.model
    if model is None:
        async with make_client(targets.upstream_url, args.upstream_api_key) as probe:
            model = (await probe.models.list()).data[0].id
    arms = _arms(args, model, targets)
    options = Options(
        args.concurrency, args.rounds, args.requests_per_worker, args.min_requests, not args.no_progress
    )
    per_run = max(requests_for(c, args.requests_per_worker, args.min_requests) for c in args.concurrency)
    prompts = load_prompts(args.prompts, per_run * args.rounds, args.seed)
    try:
        await measure_arms(arms, prompts, options, targets.servers)
    finally:
        for arm in arms:
            await arm.client.close()
    return arms


def _scrape_metrics(gateway_url: str) -> str | None:
    try:
        response = httpx.get(gateway_url.removesuffix("/v1") + "/metrics", timeout=5.0)
    except httpx.HTTPError:
        return None
    return response.text if response.status_code == 200 else None


def main(args: argparse.Namespace) -> Path:
    """Run the comparison; write ``<label>.json``, ``<label>.md`` and plots."""
    out = args.out or results_dir()
    out.mkdir(parents=True, exist_ok=True)
    log_dir = REPO_ROOT / ".state" / "bench-logs"
    with _servers(args, log_dir) as targets:
        arms = eventloop.run(_measure(args, targets))
        metrics = _scrape_metrics(targets.gateway_url)
        rss = {s.name: s.rss_mb() for s in targets.servers}
    if metrics:
        (out / f"{args.label}_gateway_metrics.txt").write_text(metrics, encoding="utf-8")
    levels = list(args.concurrency)
    result: dict[str, Any] = {
        "machine": describe_machine(),
        "load_average": os.getloadavg(),
        "settings": {
            k: v
            for k, v in vars(args).items()
            if k not in {"handler", "out", "gateway_api_key", "upstream_api_key"}
        },
        "server_rss_mb": rss,
        "arms": {},
        "ratios": {},
    }
    direct = arms[0]
    for arm in arms:
        result["arms"][arm.name] = {
            str(level): {
                "pooled": arm.runs[level].summary().to_dict(),
                "rounds": [s.to_dict() for s in arm.rounds[level]],
                "cpu": cpu_costs(arm, level),
                "gateway_breakdown": arm.gateway_breakdown.get(level, []),
            }
            for level in levels
        }
        if arm is not direct:
            result["ratios"][arm.name] = {}
            for level in levels:
                r = ratios(direct.runs[level].summary(), arm.runs[level].summary())
                result["ratios"][arm.name][str(level)] = {**r, "meets_targets": meets_targets(r)}
    result["settings"]["index_dir"] = str(args.index_dir) if args.index_dir else None
    result["settings"]["out"] = None
    write_json(out / f"{args.label}.json", result)
    table = overhead_markdown(arms, levels)
    (out / f"{args.label}.md").write_text(f"# {args.label}\n\n{table}", encoding="utf-8")
    if len(levels) > 1:
        plot_sweeps(
            {arm.name: [arm.runs[level].summary() for level in levels] for arm in arms}, out / args.label
        )
    print(table)
    return out
