"""Pure capacity model: a roofline of vLLM on one A10G plus the gateway's measured CPU cost per request.

Sources of every default are in infra/CAPACITY.md; nothing here does I/O.
"""

import math
from dataclasses import dataclass, field

GIB = 1024**3


@dataclass(frozen=True)
class Gpu:
    """An accelerator: memory, bandwidth and dense tensor throughput (A10G defaults)."""

    name: str = "A10G (g5.xlarge)"
    memory_gb: float = 24.0
    bandwidth_gbs: float = 600.0
    tensor_tflops: float = 70.0  # A10G dense BF16 tensor (the A10 has 125)
    bandwidth_efficiency: float = 0.75  # share of peak bandwidth decode reaches in practice
    compute_efficiency: float = 0.5  # share of peak tensor FLOPs prefill reaches
    gpu_memory_utilization: float = 0.90  # vLLM --gpu-memory-utilization
    runtime_overhead_gb: float = 1.0  # CUDA context, activations, graphs


@dataclass(frozen=True)
class Model:
    """A decoder: parameters, weight precision and KV-cache geometry (Qwen3-8B defaults)."""

    name: str = "Qwen3-8B"
    params_b: float = 8.2
    bytes_per_weight: float = 2.0  # bf16 2, FP8/INT8 (W8A16) 1, AWQ/GPTQ int4 ~0.56 with scales
    layers: int = 36
    kv_heads: int = 8
    head_dim: int = 128
    kv_bytes: float = 2.0  # bf16 KV cache; fp8 KV cache 1

    @property
    def weights_gb(self) -> float:
        """Weight bytes in GB."""
        return self.params_b * self.bytes_per_weight

    @property
    def kv_bytes_per_token(self) -> float:
        """K and V of every layer for one token."""
        return 2 * self.layers * self.kv_heads * self.head_dim * self.kv_bytes


@dataclass(frozen=True)
class Workload:
    """Request rate and shape of one RAG answer."""

    requests_per_minute: float = 3000
    prompt_tokens: int = 2000  # system + 5 fenced sources of ~200 tokens + question (gateway prompt builder)
    output_tokens: int = 300
    cached_prefix_tokens: int = 250  # the shared system prompt; prefix caching skips its prefill
    max_model_len: int = 4096
    max_num_seqs: int = 64


@dataclass(frozen=True)
class Gateway:
    """The gateway's CPU cost per request (measured, benchmarks/README.md) and its task size."""

    fixed_cpu_ms: float = 4.1
    retrieval_cpu_ms: float = 11.0
    relay_cpu_ms_per_token: float = 0.17
    vcpu_per_task: float = 1.0  # one worker process per 1024 CPU units
    cpu_target: float = 0.6  # the CPU tracking policy's target


@dataclass(frozen=True)
class Prices:
    """USD per hour (us-east-1, Linux)."""

    gpu_on_demand: float = 1.006  # g5.xlarge
    gpu_spot: float = 0.45  # typical g5.xlarge spot, varies by AZ and day
    spot_share: float = 0.5  # share of GPU tasks on spot (the capacity provider's mix)
    fargate_vcpu: float = 0.04048
    fargate_gb: float = 0.004445
    gateway_memory_gb: float = 4.0


@dataclass(frozen=True)
class Plan:
    """What a workload needs."""

    concurrent_seqs: int
    kv_cache_gb: float
    seqs_fit_in_kv: int
    step_ms: float
    prefill_s: float
    gpu_s_per_request: float
    requests_per_minute_per_gpu: float
    gpu_tasks: int
    gateway_cpu_ms: float
    requests_per_minute_per_gateway: float
    gateway_tasks: int
    cost_per_hour: float
    cost_per_1000_answers: float
    notes: list[str] = field(default_factory=list)


def kv_cache_gb(gpu: Gpu, model: Model) -> float:
    """GPU memory left for the KV cache after weights and runtime overhead."""
    return max(0.0, gpu.memory_gb * gpu.gpu_memory_utilization - model.weights_gb - gpu.runtime_overhead_gb)


def plan(
    workload: Workload,
    gpu: Gpu | None = None,
    model: Model | None = None,
    gateway: Gateway | None = None,
    prices: Prices | None = None,
    *,
    gpu_utilization_target: float = 0.7,
) -> Plan:
    """Tasks and cost for a workload: decode is bandwidth-bound, prefill compute-bound, both per GPU."""
    gpu, model, gateway, prices = gpu or Gpu(), model or Model(), gateway or Gateway(), prices or Prices()
    notes: list[str] = []
    kv_gb = kv_cache_gb(gpu, model)
    seq_tokens = min(workload.prompt_tokens + workload.output_tokens, workload.max_model_len)
    # vLLM reserves blocks as sequences grow: on average a sequence holds its prompt and half its output.
    mean_tokens = min(workload.prompt_tokens + workload.output_tokens / 2, workload.max_model_len)
    fit = int(kv_gb * GIB / (model.kv_bytes_per_token * mean_tokens)) if kv_gb > 0 else 0
    if kv_gb * GIB < model.kv_bytes_per_token * workload.max_model_len:
        notes.append(f"KV cache ({kv_gb:.1f} GB) cannot hold one {workload.max_model_len}-token sequence")
    seqs = max(1, min(fit, workload.max_num_seqs))
    if fit < workload.max_num_seqs:
        notes.append(f"KV cache bounds the batch at {fit} sequences (max_num_seqs {workload.max_num_seqs})")

    bandwidth = gpu.bandwidth_gbs * 1e9 * gpu.bandwidth_efficiency
    # One decode step reads every weight once and the KV cache of every running sequence.
    step_s = (model.weights_gb * 1e9 + seqs * mean_tokens * model.kv_bytes_per_token) / bandwidth
    flops = gpu.tensor_tflops * 1e12 * gpu.compute_efficiency
    prefill_tokens = max(0, workload.prompt_tokens - workload.cached_prefix_tokens)
    prefill_s = 2 * model.params_b * 1e9 * prefill_tokens / flops
    # GPU time one request takes: its prefill alone, its decode shared with the rest of the batch.
    gpu_s = prefill_s + workload.output_tokens * step_s / seqs
    rpm_per_gpu = 60.0 / gpu_s
    rps = workload.requests_per_minute / 60.0
    gpu_tasks = math.ceil(workload.requests_per_minute / (rpm_per_gpu * gpu_utilization_target))

    cpu_ms = (
        gateway.fixed_cpu_ms
        + gateway.retrieval_cpu_ms
        + gateway.relay_cpu_ms_per_token * workload.output_tokens
    )
    rpm_per_gateway = 60_000.0 * gateway.vcpu_per_task * gateway.cpu_target / cpu_ms
    # Two at least: one per availability zone.
    gateway_tasks = max(2, math.ceil(workload.requests_per_minute / rpm_per_gateway))

    gpu_hour = prices.spot_share * prices.gpu_spot + (1 - prices.spot_share) * prices.gpu_on_demand
    gateway_hour = gateway.vcpu_per_task * prices.fargate_vcpu + prices.gateway_memory_gb * prices.fargate_gb
    cost = gpu_tasks * gpu_hour + gateway_tasks * gateway_hour
    answers_per_hour = rps * 3600
    return Plan(
        concurrent_seqs=seqs,
        kv_cache_gb=round(kv_gb, 2),
        seqs_fit_in_kv=fit,
        step_ms=round(step_s * 1000, 2),
        prefill_s=round(prefill_s, 3),
        gpu_s_per_request=round(gpu_s, 3),
        requests_per_minute_per_gpu=round(rpm_per_gpu, 1),
        gpu_tasks=gpu_tasks,
        gateway_cpu_ms=round(cpu_ms, 1),
        requests_per_minute_per_gateway=round(rpm_per_gateway, 1),
        gateway_tasks=gateway_tasks,
        cost_per_hour=round(cost, 2),
        cost_per_1000_answers=round(cost / answers_per_hour * 1000, 4) if answers_per_hour else 0.0,
        notes=[*notes, f"sequence length {seq_tokens} tokens"],
    )


# Weight formats on the A10G (Ampere has no FP8 tensor cores: vLLM runs FP8 checkpoints as W8A16 Marlin).
PRECISIONS: dict[str, float] = {"bf16": 2.0, "fp8": 1.0, "awq": 0.56}
