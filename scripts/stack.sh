#!/usr/bin/env bash
# Start, stop and inspect one local stack (vLLM + gateway) whose pids, logs and settings live in STATE_DIR.
# Usage: stack.sh up|down|status|logs|launch-vllm|start-vllm|stop-vllm
#   launch-vllm starts vLLM without waiting, so its ~1 min of loading overlaps with an index build;
#   start-vllm starts it and waits until it is healthy.
# Each process runs in its own session (setsid), so stopping it kills its whole process group.
#
# Environment (defaults in brackets):
#   GATEWAY_PORT [8080]  VLLM_PORT [8000]  STATE_DIR [<repo>/.state/$GATEWAY_PORT]
#   VLLM_BASE_URL        an already running OpenAI-compatible server (…/v1); vLLM is then not started
#   INDEX_DIR            built index folder (required for up)
#   EMBEDDING_MODEL      model folder or id used to build the index (required for up)
#   EMBEDDING_BACKEND    onnx or torch, as for the index [onnx]
#   RAG_API_KEYS         comma-separated keys; empty means no auth
#   VENV [<repo>/.venv]  app virtualenv with rag-gateway
#   VLLM_START_TIMEOUT [900]  GATEWAY_START_TIMEOUT [300]  seconds to wait for health
#   plus everything scripts/vllm_serve.sh reads; any other RAG_* variable reaches the gateway as is.
# While a stack runs, its settings are kept in STATE_DIR/stack.env and win over the environment, so
# `status`, `down` and `start-vllm` need only GATEWAY_PORT (or STATE_DIR).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="${STATE_DIR:-$repo/.state/${GATEWAY_PORT:-8080}}"
saved="$state/stack.env"
SAVED_KEYS=(GATEWAY_PORT VLLM_PORT VLLM_BASE_URL VLLM_MODEL VLLM_SERVED_MODEL_NAME VLLM_MAX_MODEL_LEN INDEX_DIR
  EMBEDDING_MODEL EMBEDDING_BACKEND VENV)

die() {
  echo "stack: $*" >&2
  exit 1
}

pid_of() {
  local file="$state/$1.pid"
  [[ -f "$file" ]] && cat "$file"
}

is_running() {
  local pid
  pid="$(pid_of "$1")" || return 1
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null
}

if [[ -f "$saved" ]] && { is_running vllm || is_running gateway; }; then
  # shellcheck source=/dev/null
  source "$saved"
fi

gateway_port="${GATEWAY_PORT:-8080}"
vllm_port="${VLLM_PORT:-8000}"
venv="${VENV:-$repo/.venv}"
max_model_len="${VLLM_MAX_MODEL_LEN:-4096}"
vllm_model="${VLLM_MODEL:-$repo/.cache/models/smollm2-135m-instruct}"
# shellcheck source=scripts/served_name.sh
source "$repo/scripts/served_name.sh"
served_name="${VLLM_SERVED_MODEL_NAME:-$(served_name_of "$vllm_model")}"
started_here=()

# Only values that are set are kept, so loading them never blanks a setting given in the environment.
save_settings() {
  mkdir -p "$state"
  local key
  for key in "${SAVED_KEYS[@]}"; do
    if [[ -n "${!key:-}" ]]; then
      printf '%s=%q\n' "$key" "${!key}"
    fi
  done >"$saved"
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

upstream_url() {
  if [[ -n "${VLLM_BASE_URL:-}" ]]; then
    echo "${VLLM_BASE_URL%/}"
  else
    echo "http://127.0.0.1:$vllm_port/v1"
  fi
}

# Start a command detached in its own session; its pid is also its process-group id.
launch() {
  local name="$1"
  shift
  mkdir -p "$state"
  echo "=== $(date -u +%FT%TZ) starting $name" >>"$state/$name.log"
  setsid "$@" >>"$state/$name.log" 2>&1 </dev/null &
  echo $! >"$state/$name.pid"
}

stop() {
  local name="$1" pid
  pid="$(pid_of "$name")" || return 0
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do
      kill -0 -- "-$pid" 2>/dev/null || break
      sleep 1
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    echo "stopped $name (pid $pid)"
  fi
  rm -f "$state/$name.pid"
}

start_vllm() {
  if [[ -n "${VLLM_BASE_URL:-}" ]]; then
    return 0
  fi
  if is_running vllm; then
    echo "vLLM already running (pid $(pid_of vllm))"
    return 0
  fi
  if port_in_use "$vllm_port"; then
    die "port $vllm_port is taken: set VLLM_PORT, or VLLM_BASE_URL=http://127.0.0.1:$vllm_port/v1 to use that server"
  fi
  VLLM_PORT="$vllm_port" VLLM_MAX_MODEL_LEN="$max_model_len" VLLM_SERVED_MODEL_NAME="$served_name" \
    VLLM_MODEL="$vllm_model" launch vllm bash "$repo/scripts/vllm_serve.sh"
  started_here+=(vllm)
}

wait_vllm() {
  bash "$repo/scripts/wait_healthy.sh" "$(upstream_url)/models" "${VLLM_START_TIMEOUT:-900}" \
    "$(pid_of vllm || true)" "$state/vllm.log"
}

start_gateway() {
  if is_running gateway; then
    echo "gateway already running (pid $(pid_of gateway))"
    return 0
  fi
  [[ -n "${INDEX_DIR:-}" && -d "$INDEX_DIR" ]] || die "INDEX_DIR '${INDEX_DIR:-}' is not a built index (run: make index)"
  [[ -n "${EMBEDDING_MODEL:-}" ]] || die "EMBEDDING_MODEL is not set"
  [[ -x "$venv/bin/rag-gateway" ]] || die "no rag-gateway in $venv (run: make venv)"
  if port_in_use "$gateway_port"; then
    die "port $gateway_port is taken: set GATEWAY_PORT"
  fi
  local upstream
  upstream="$(upstream_url)"
  (
    # RAG_API_KEYS and any other RAG_* setting come straight from the environment.
    export RAG_HOST=127.0.0.1 RAG_PORT="$gateway_port"
    export RAG_DEFAULT_UPSTREAM="$upstream" RAG_DEFAULT_MAX_MODEL_LEN="$max_model_len"
    export RAG_INDEX_DIR="$INDEX_DIR" RAG_EMBEDDING_MODEL="$EMBEDDING_MODEL"
    export RAG_EMBEDDING_BACKEND="${EMBEDDING_BACKEND:-onnx}"
    # A model folder needs no hub; a hub id (users with internet) must be allowed to download.
    if [[ -d "$EMBEDDING_MODEL" ]]; then
      export HF_HUB_OFFLINE=1
    fi
    # With the served model's own tokenizer the gateway counts prompt tokens exactly instead of estimating.
    if [[ -z "${RAG_TOKENIZERS:-}" && -z "${VLLM_BASE_URL:-}" && -d "$vllm_model" ]]; then
      export RAG_TOKENIZERS="{\"$served_name\": \"$vllm_model\"}"
    fi
    # vLLM on CPU: a five-passage prefill of the Qwen models takes tens of seconds on a busy 2-core machine
    # and the first request after a start longer (benchmarks/answers/README.md); the 60 s production default
    # would turn it into a 504.
    if [[ -z "${RAG_TTFT_TIMEOUT:-}" && -z "${VLLM_BASE_URL:-}" ]]; then
      export RAG_TTFT_TIMEOUT=300
    fi
    launch gateway "$venv/bin/rag-gateway"
  )
  started_here+=(gateway)
}

wait_gateway() {
  bash "$repo/scripts/wait_healthy.sh" "http://127.0.0.1:$gateway_port/ready" \
    "${GATEWAY_START_TIMEOUT:-300}" "$(pid_of gateway)" "$state/gateway.log"
}

# On a failed start, stop only what this call started, never a stack that was already running.
undo_start() {
  local name
  echo "stack: start failed; logs in $state" >&2
  for name in "${started_here[@]}"; do
    stop "$name"
  done
}

# With an external upstream, the model to name in examples is whatever that server lists first.
example_model() {
  if [[ -z "${VLLM_BASE_URL:-}" ]]; then
    echo "$served_name"
    return
  fi
  curl -fsS --max-time 5 "$(upstream_url)/models" 2>/dev/null |
    "$venv/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["data"][0]["id"])' 2>/dev/null ||
    echo "$served_name"
}

# The chat page's URL, unless RAG_UI_ENABLED or RAG_ENVIRONMENT turn it off (same rule as the gateway).
chat_page_line() {
  local ui="${RAG_UI_ENABLED:-}"
  if [[ "$ui" == "false" || ( -z "$ui" && "${RAG_ENVIRONMENT:-development}" == "production" ) ]]; then
    return
  fi
  local hint=""
  [[ -n "${RAG_API_KEYS:-}" ]] && hint="   (paste a key of RAG_API_KEYS into its API key field)"
  echo "  chat page http://127.0.0.1:$gateway_port/$hint"
}

print_usage_hint() {
  local model
  model="$(example_model)"
  local base="http://127.0.0.1:$gateway_port/v1" keys="${RAG_API_KEYS:-}"
  local key="${keys%%,*}"
  local auth="" sdk_key="${key:-unused}"
  if [[ -n "$key" ]]; then
    auth=" -H 'Authorization: Bearer $key'"
  fi
  cat <<EOF

Local stack is up (state: $state)
  gateway  $base   (upstream: $(upstream_url), model: $model)
$(chat_page_line)

  curl -N $base/chat/completions -H 'Content-Type: application/json'$auth \\
    -d '{"model": "$model", "stream": true, "max_tokens": 200, "messages": [{"role": "user", "content": "What were Apple net sales in fiscal 2024?"}]}'

  python - <<'PY'
from openai import OpenAI
client = OpenAI(base_url="$base", api_key="$sdk_key")
reply = client.chat.completions.create(
    model="$model",
    messages=[{"role": "user", "content": "What risks does Microsoft describe about AI?"}],
    max_tokens=200,
)
print(reply.choices[0].message.content)
for source in reply.model_extra["sources"]:
    print(source["index"], source["ticker"], source["fiscal_year"], source["item"], source["score"])
PY

  make logs GATEWAY_PORT=$gateway_port    make status GATEWAY_PORT=$gateway_port    make down GATEWAY_PORT=$gateway_port
EOF
}

cmd_up() {
  trap undo_start EXIT
  save_settings
  # Both start at once: the gateway loads its index and embedder while vLLM loads the model.
  start_vllm
  start_gateway
  wait_vllm
  wait_gateway
  trap - EXIT
  print_usage_hint
}

cmd_down() {
  stop gateway
  stop vllm
  rm -f "$saved"
}

cmd_status() {
  local name
  for name in vllm gateway; do
    if is_running "$name"; then
      echo "$name: running (pid $(pid_of "$name"))"
    else
      echo "$name: not running"
    fi
  done
  if curl -fsS -o /dev/null --max-time 2 "$(upstream_url)/models" 2>/dev/null; then
    echo "upstream $(upstream_url): healthy"
  else
    echo "upstream $(upstream_url): unreachable"
  fi
  if curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$gateway_port/ready" 2>/dev/null; then
    echo "gateway http://127.0.0.1:$gateway_port/v1: ready"
  else
    echo "gateway http://127.0.0.1:$gateway_port/v1: not ready"
  fi
}

cmd_logs() {
  local files=() name
  for name in vllm gateway; do
    if [[ -f "$state/$name.log" ]]; then
      files+=("$state/$name.log")
    fi
  done
  ((${#files[@]})) || die "no logs in $state"
  if [[ "${FOLLOW:-0}" == "1" ]]; then
    exec tail -n "${LINES_SHOWN:-50}" -F "${files[@]}"
  fi
  tail -n "${LINES_SHOWN:-50}" "${files[@]}"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  logs) cmd_logs ;;
  launch-vllm)
    save_settings
    start_vllm
    ;;
  start-vllm)
    start_vllm
    wait_vllm
    ;;
  stop-vllm) stop vllm ;;
  *) die "usage: stack.sh up|down|status|logs|launch-vllm|start-vllm|stop-vllm" ;;
esac
