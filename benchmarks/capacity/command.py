"""``python -m benchmarks capacity``: gateway and GPU tasks and cost for a request rate (a calculator)."""

import argparse
import json
from dataclasses import asdict, replace
from typing import Any

from benchmarks.capacity.model import PRECISIONS, Gateway, Gpu, Model, Prices, Workload, plan


def add_parser(subparsers: Any) -> None:
    """Register the ``capacity`` subcommand."""
    p = subparsers.add_parser("capacity", help="capacity plan: tasks and cost for N requests per minute")
    w = Workload()
    p.add_argument("--rpm", type=float, default=w.requests_per_minute, help="requests per minute")
    p.add_argument("--prompt-tokens", type=int, default=w.prompt_tokens)
    p.add_argument("--output-tokens", type=int, default=w.output_tokens)
    p.add_argument("--cached-prefix-tokens", type=int, default=w.cached_prefix_tokens)
    p.add_argument("--max-model-len", type=int, default=w.max_model_len)
    p.add_argument("--max-num-seqs", type=int, default=w.max_num_seqs)
    p.add_argument("--precision", choices=sorted(PRECISIONS), default=None, help="default: compare all")
    p.add_argument("--kv-cache-dtype", choices=["auto", "fp8"], default="auto")
    p.add_argument("--gpu-target", type=float, default=0.7, help="GPU utilisation autoscaling aims at")
    p.add_argument("--spot-share", type=float, default=Prices().spot_share)
    p.add_argument(
        "--gateway-cpu-ms", type=float, default=None, help="override the measured per-request cost"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=main)


def main(args: argparse.Namespace) -> None:
    """Print one plan per weight precision."""
    workload = Workload(
        requests_per_minute=args.rpm,
        prompt_tokens=args.prompt_tokens,
        output_tokens=args.output_tokens,
        cached_prefix_tokens=args.cached_prefix_tokens,
        max_model_len=args.max_model_len,
        max_num_seqs=args.max_num_seqs,
    )
    gateway = Gateway()
    if args.gateway_cpu_ms is not None:
        gateway = Gateway(fixed_cpu_ms=args.gateway_cpu_ms, retrieval_cpu_ms=0, relay_cpu_ms_per_token=0)
    prices = replace(Prices(), spot_share=args.spot_share)
    kv_bytes = 1.0 if args.kv_cache_dtype == "fp8" else 2.0
    rows = {}
    for precision in [args.precision] if args.precision else sorted(PRECISIONS):
        model = Model(bytes_per_weight=PRECISIONS[precision], kv_bytes=kv_bytes)
        rows[precision] = plan(
            workload, Gpu(), model, gateway, prices, gpu_utilization_target=args.gpu_target
        )
    if args.json:
        print(json.dumps({k: asdict(v) for k, v in rows.items()}, indent=2))
        return
    print(
        f"{args.rpm:.0f} requests/min, {workload.prompt_tokens} prompt + {workload.output_tokens} output "
        f"tokens, max_model_len {workload.max_model_len}, GPU target {args.gpu_target:.0%}, "
        f"spot share {args.spot_share:.0%}"
    )
    header = (
        "precision | KV GB | seqs | step ms | prefill s | GPU s/req | rpm/GPU | GPU tasks | gateway tasks | "
        "$/h | $/1k answers"
    )
    print(header)
    for name, p in rows.items():
        print(
            f"{name} | {p.kv_cache_gb} | {p.concurrent_seqs} | {p.step_ms} | {p.prefill_s} | "
            f"{p.gpu_s_per_request} | {p.requests_per_minute_per_gpu} | {p.gpu_tasks} | {p.gateway_tasks} | "
            f"{p.cost_per_hour} | "
            f"{p.cost_per_1000_answers}"
        )
        for note in p.notes:
            print(f"  {name}: {note}")
    any_plan = next(iter(rows.values()))
    print(
        f"gateway: {any_plan.gateway_cpu_ms} CPU-ms/request, "
        f"{any_plan.requests_per_minute_per_gateway} requests/min per 1-vCPU task at the CPU target"
    )
