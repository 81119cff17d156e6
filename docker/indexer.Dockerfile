# syntax=docker/dockerfile:1
# Indexer: `rag-index` with its S3 extra: `build [--shard i/n] --publish`, `merge`, and `pull` (the gateway's
# index-sync sidecar). Same CPU torch pin and embedding model as docker/gateway.Dockerfile, so indexes
# built here match the gateway's embedder.
# Build from the repository root:
#   docker build -f docker/indexer.Dockerfile -t sec-rag-indexer:TAG .

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
RUN pip install --no-cache-dir --extra-index-url "${TORCH_CPU_INDEX}" \
        "torch==${TORCH_VERSION}+cpu" -e "services/retriever[s3]"

RUN python -c "from huggingface_hub import snapshot_download; snapshot_download(repo_id='${EMBEDDING_MODEL}', local_dir='/opt/models/embedding')" \
    && HF_HUB_OFFLINE=1 python -c "from sentence_transformers import SentenceTransformer; SentenceTransformer('/opt/models/embedding', device='cpu').encode(['warm-up'])"

FROM python:3.11.14-slim-bookworm AS runtime

RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin rag \
    && mkdir -p /work /var/lib/rag/index \
    && chown 10001:10001 /work /var/lib/rag/index

COPY --from=build /opt/venv /opt/venv
COPY --from=build /app/services /app/services
COPY --from=build /opt/models /opt/models

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    HF_HOME=/work/hf-home \
    NUMBA_CACHE_DIR=/work/numba-cache \
    RAG_EMBEDDING_MODEL=/opt/models/embedding \
    RAG_EMBEDDING_BACKEND=torch \
    RAG_CACHE_DIR=/work/cache

WORKDIR /work
USER 10001

# A batch job, not a server: ECS runs it with `rag-index build ...`, `rag-index merge ...` or `rag-index pull ...`.
HEALTHCHECK NONE
CMD ["rag-index", "--help"]
