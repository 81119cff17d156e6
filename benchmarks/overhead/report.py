"""Overhead tables: one row per arm and level, then the ratios against the direct arm."""

from collections.abc import Sequence

from benchmarks.overhead.compare import TARGETS, Arm, cpu_costs, meets_targets, ratios


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{1000 * value:.1f}"


def _num(value: float | None, fmt: str = ".3f") -> str:
    return "-" if value is None else format(value, fmt)


def _pct(costs: dict[str, dict[str, float]], name: str) -> str:
    return f"{100 * costs[name]['util']:.0f}%" if name in costs else "-"


def _per_req(costs: dict[str, dict[str, float]], name: str) -> str:
    return f"{costs[name]['ms_per_request']:.1f}" if name in costs else "-"


def overhead_markdown(arms: Sequence[Arm], levels: Sequence[int]) -> str:
    """Per-arm figures and ratios to ``arms[0]`` (the direct arm)."""
    lines = [
        "| conc | arm | req/s (steady) | TTFT p50 / p95 / p99 (ms) | TPOT p50 (ms) | E2E p50 (s) "
        "| ok / failed | CPU % of a core: client / upstream / arm's gateway | CPU ms per request: same |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for level in levels:
        for arm in arms:
            s = arm.runs[level].summary()
            cpu = cpu_costs(arm, level)
            names = ("client", "synthetic_upstream", arm.gateway_process)
            util = " / ".join(_pct(cpu, n) for n in names)
            per_request = " / ".join(_per_req(cpu, n) for n in names)
            lines.append(
                f"| {level} | {arm.name} | {s.requests_per_s:.2f} ({_num(s.steady_requests_per_s, '.2f')}) "
                f"| {_ms(s.ttft_s.p50)} / {_ms(s.ttft_s.p95)} / {_ms(s.ttft_s.p99)} | {_ms(s.tpot_s.p50)} "
                f"| {_num(s.latency_s.p50, '.2f')} | {s.completed} / {s.failed} | {util} | {per_request} |"
            )
    lines += [
        "",
        f"Targets: TTFT p50 ratio ≤ {TARGETS['ttft_p50_ratio_max']}, "
        f"p95 ratio ≤ {TARGETS['ttft_p95_ratio_max']}, "
        f"req/s ratio ≥ {TARGETS['rps_ratio_min']} (vs `{arms[0].name}`).",
        "",
        "| conc | arm | TTFT p50 ratio | TTFT p95 ratio | TTFT p99 ratio | req/s ratio (steady) "
        "| ΔTTFT p50 / p95 (ms) | per-round p50 ratios | meets targets |",
        "|---:|---|---:|---:|---:|---:|---:|---|---|",
    ]
    direct = arms[0]
    for level in levels:
        base = direct.runs[level].summary()
        for arm in arms[1:]:
            r = ratios(base, arm.runs[level].summary())
            per_round = ", ".join(
                _num(ratios(b, o)["ttft_p50_ratio"])
                for b, o in zip(direct.rounds[level], arm.rounds[level], strict=False)
            )
            lines.append(
                f"| {level} | {arm.name} | {_num(r['ttft_p50_ratio'])} | {_num(r['ttft_p95_ratio'])} "
                f"| {_num(r['ttft_p99_ratio'])} | {_num(r['rps_ratio'])} ({_num(r['steady_rps_ratio'])}) "
                f"| {_num(r['ttft_p50_delta_ms'], '.1f')} / {_num(r['ttft_p95_delta_ms'], '.1f')} "
                f"| {per_round} | {'yes' if meets_targets(r) else 'no'} |"
            )
    lines += _internals(arms, levels)
    return "\n".join(lines) + "\n"


def _pooled_mean(rounds: Sequence[dict[str, float | None]], key: str) -> float | None:
    count_key = f"{key.removesuffix('_ms')}_count"
    weighted = [(r[key], r[count_key] or 0.0) for r in rounds if r.get(key) is not None]
    total = sum(count for _, count in weighted)
    return sum((mean or 0.0) * count for mean, count in weighted) / total if total else None


def _internals(arms: Sequence[Arm], levels: Sequence[int]) -> list[str]:
    rows = []
    for level in levels:
        for arm in arms:
            rounds = arm.gateway_breakdown.get(level, [])
            if not rounds or _pooled_mean(rounds, "request_ms") is None:
                continue
            cells = " | ".join(
                _num(_pooled_mean(rounds, key), ".1f")
                for key in ("embed_ms", "embed_batch", "search_ms", "upstream_ttft_ms")
            )
            rows.append(f"| {level} | {arm.name} | {cells} |")
    if not rows:
        return []
    return [
        "",
        "Gateway internals (means per observation, from the gateway's /metrics over the measured runs):",
        "",
        "| conc | arm | embed call (ms) | embed batch | FAISS search (ms) | upstream TTFT at gateway (ms) |",
        "|---:|---|---:|---:|---:|---:|",
        *rows,
    ]
