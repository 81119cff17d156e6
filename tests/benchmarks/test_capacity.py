"""The capacity calculator: roofline arithmetic, monotonic in its inputs, and the Terraform defaults agree."""

import re
from pathlib import Path

import pytest

from benchmarks.capacity.model import PRECISIONS, Gpu, Model, Workload, kv_cache_gb, plan

TERRAFORM_DIR = Path(__file__).resolve().parents[2] / "infra" / "terraform"


def test_qwen3_8b_kv_bytes_and_weights():
    model = Model()
    assert model.kv_bytes_per_token == 2 * 36 * 8 * 128 * 2  # 144 KiB per token in bf16
    assert model.weights_gb == pytest.approx(16.4)
    # 24 GB x 0.9 - 16.4 GB weights - 1 GB runtime leaves ~4.2 GB for the KV cache in bf16.
    assert kv_cache_gb(Gpu(), model) == pytest.approx(4.2, abs=0.01)


def test_smaller_weights_leave_room_for_larger_batches_and_fewer_gpus():
    plans = {p: plan(Workload(), model=Model(bytes_per_weight=b)) for p, b in PRECISIONS.items()}
    assert plans["bf16"].concurrent_seqs < plans["fp8"].concurrent_seqs < plans["awq"].concurrent_seqs
    assert plans["bf16"].gpu_tasks > plans["fp8"].gpu_tasks >= plans["awq"].gpu_tasks


def test_tasks_scale_with_the_rate_and_cost_per_answer_does_not():
    low, high = plan(Workload(requests_per_minute=300)), plan(Workload(requests_per_minute=3000))
    assert high.gpu_tasks == pytest.approx(10 * low.gpu_tasks, rel=0.1)
    assert high.cost_per_1000_answers == pytest.approx(low.cost_per_1000_answers, rel=0.1)
    assert low.gateway_tasks >= 2


def test_a_context_longer_than_the_cache_is_flagged():
    result = plan(Workload(max_model_len=32768, prompt_tokens=30000))
    assert any("cannot hold one 32768-token sequence" in n for n in result.notes)


def test_prefix_caching_only_removes_the_shared_prefill():
    full = plan(Workload(cached_prefix_tokens=0))
    cached = plan(Workload(cached_prefix_tokens=2000))
    assert cached.prefill_s == 0 and full.prefill_s > 0.5
    assert cached.gpu_s_per_request < full.gpu_s_per_request


def test_gateway_cost_comes_from_the_measured_per_request_cpu():
    result = plan(Workload(output_tokens=64))
    assert result.gateway_cpu_ms == pytest.approx(4.1 + 11.0 + 0.17 * 64, abs=0.05)


def test_terraform_request_targets_match_the_plan():
    # The vLLM service's ALB target (requests per task per minute) must not exceed what one A10G sustains at
    # the plan's utilisation target; otherwise autoscaling adds GPUs only after latency has collapsed.
    text = (TERRAFORM_DIR / "modules/vllm/variables.tf").read_text()
    target = int(re.search(r"requests_per_target\s*=\s*optional\(number,\s*(\d+)\)", text)[1])
    bf16 = plan(Workload())
    assert target <= bf16.requests_per_minute_per_gpu * 0.7 + 1
