#!/usr/bin/env bash
# Build the FAISS index for CORPUS_DIR into INDEX_DIR, or reuse it when corpus, embedding model and
# retriever code are unchanged. Without a manifest.csv in CORPUS_DIR, filings are fetched from EDGAR first.
#
# Environment: CORPUS_DIR, INDEX_DIR, EMBEDDING_MODEL (required), EMBEDDING_BACKEND [onnx], VENV [<repo>/.venv],
#   SEC_USER_AGENT (EDGAR only: "Your Name you@example.com", as SEC asks),
#   EDGAR_TICKERS [AAPL,MSFT,GOOGL,AMZN,META], EDGAR_YEARS [3]
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${VENV:-$repo/.venv}"
corpus="${CORPUS_DIR:?CORPUS_DIR is not set}"
index="${INDEX_DIR:?INDEX_DIR is not set}"
model="${EMBEDDING_MODEL:?EMBEDDING_MODEL is not set}"
backend="${EMBEDDING_BACKEND:-onnx}"

die() {
  echo "ensure_index: $*" >&2
  exit 1
}

fetch_from_edgar() {
  [[ -n "${SEC_USER_AGENT:-}" ]] || die "no manifest.csv in $corpus, and fetching 10-K filings from EDGAR needs
SEC_USER_AGENT='Your Name you@example.com' (SEC's fair-access rule). Or point CORPUS_DIR at a folder with manifest.csv."
  echo "ensure_index: fetching ${EDGAR_TICKERS:-AAPL,MSFT,GOOGL,AMZN,META} (${EDGAR_YEARS:-3} years each) from EDGAR into $corpus"
  mkdir -p "$corpus"
  "$venv/bin/rag-index" fetch --tickers "${EDGAR_TICKERS:-AAPL,MSFT,GOOGL,AMZN,META}" \
    --years "${EDGAR_YEARS:-3}" --corpus "$corpus" --user-agent "$SEC_USER_AGENT"
}

fingerprint() {
  {
    echo "embedding_model=$model backend=$backend"
    cat "$corpus/manifest.csv"
    # Names and sizes of the filings, so a replaced file triggers a rebuild.
    find -L "$corpus" -maxdepth 1 -type f ! -name manifest.csv -printf '%f %s\n' | sort
    find "$repo/services/retriever/src" -name '*.py' -print0 | sort -z | xargs -0 cat
  } | sha256sum | cut -d' ' -f1
}

[[ -f "$corpus/manifest.csv" ]] || fetch_from_edgar
[[ -f "$corpus/manifest.csv" ]] || die "still no manifest.csv in $corpus"

stamp="$index/.sec-rag-fingerprint"
wanted="$(fingerprint)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
  echo "ensure_index: reusing $index (corpus and embedding model unchanged)"
  exit 0
fi

echo "ensure_index: building $index from $corpus with $model"
mkdir -p "$index"
started=$SECONDS
# A model folder needs no hub; a hub id (users with internet) must be allowed to download.
[[ -d "$model" ]] && export HF_HUB_OFFLINE=1
"$venv/bin/rag-index" build --corpus "$corpus" --out "$index" --model "$model" --backend "$backend"
echo "$wanted" >"$stamp"
echo "ensure_index: built in $((SECONDS - started))s"
