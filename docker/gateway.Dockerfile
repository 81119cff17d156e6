# syntax=docker/dockerfile:1
# rag-gateway: CPU-only torch, the embedding model baked in (no hub access at run time), non-root.
# Build from the repository root:
#   docker build -f docker/gateway.Dockerfile -t sec-rag-gateway:TAG .
# Installs exactly as scripts/install_venv.sh (`make venv`) does: the CPU torch pin, then
# `pip install -e services/retriever -e services/gateway`.

FROM python:3.11.14-slim-bookworm AS build

ARG TORCH_VERSION=2.13.0
ARG TORCH_CPU_INDEX=https://download.pytorch.org/whl/cpu
ARG EMBEDDING_MODEL=BAAI/bge-small-en-v1.5

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH

WORKDIR /app
RUN python -m venv /opt/venv \
    && pip install --no-cache-dir --extra-index-url "${TORCH_CPU_INDEX}" "torch==${TORCH_VERSION}+cpu"

COPY services/retriever services/retriever
COPY services/gateway services/gateway
# The torch pin is repeated so that no dependency can swap in a CUDA build.
RUN pip install --no-cache-dir --extra-index-url "${TORCH_CPU_INDEX}" \
        "torch==${TORCH_VERSION}+cpu" -e services/retriever -e services/gateway

# Bake the embedding model, then prove it loads with the hub switched off.
RUN python -c "from huggingface_hub import snapshot_download; snapshot_download(repo_id='${EMBEDDING_MODEL}', local_dir='/opt/models/embedding')" \
    && HF_HUB_OFFLINE=1 python -c "from sentence_transformers import SentenceTransformer; SentenceTransformer('/opt/models/embedding', device='cpu').encode(['warm-up'])"

FROM python:3.11.14-slim-bookworm AS runtime

RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin rag \
    && mkdir -p /var/lib/rag/index \
    && chown 10001:10001 /var/lib/rag/index

COPY --from=build /opt/venv /opt/venv
COPY --from=build /app/services /app/services
COPY --from=build /opt/models /opt/models

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    HF_HOME=/tmp/hf-home \
    NUMBA_CACHE_DIR=/tmp/numba-cache \
    RAG_HOST=0.0.0.0 \
    RAG_PORT=8080 \
    RAG_EMBEDDING_MODEL=/opt/models/embedding \
    RAG_EMBEDDING_BACKEND=torch \
    RAG_INDEX_DIR=/var/lib/rag/index \
    RAG_CACHE_DIR=/tmp/rag-cache

WORKDIR /app
USER 10001
EXPOSE 8080

HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/health', timeout=3)"]

ENTRYPOINT ["rag-gateway"]
