# shellcheck shell=bash
# Sourced by vllm_serve.sh and stack.sh so both agree on the model name clients send.

# The name vLLM serves a model under: a local folder's name (smollm2-135m-instruct), or the hub id itself.
served_name_of() {
  if [[ -d "$1" ]]; then
    basename "$1"
  else
    echo "$1"
  fi
}
