"""Locate a sentence-transformers model folder and read what the embedder needs from it."""

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

BGE_QUERY_PREFIX = "Represent this sentence for searching relevant passages: "


class ModelNotFoundError(RuntimeError):
    """The embedding model is neither a local folder nor available from the hub cache."""


@dataclass(frozen=True)
class ModelFiles:
    """A resolved model folder with its pooling mode, sequence limit and content fingerprint."""

    model_id: str
    folder: Path
    pooling: str
    max_seq_length: int
    dimension: int
    fingerprint: str


def resolve_model(model: str) -> ModelFiles:
    """Resolve a hub id or local folder to its files (hub ids go through the local HF cache)."""
    folder = Path(model).expanduser()
    if folder.is_dir():
        folder = folder.resolve()
    else:
        from huggingface_hub import snapshot_download

        try:
            folder = Path(snapshot_download(model))
        except Exception as exc:  # hub errors have many types; all mean "not available"
            raise ModelNotFoundError(
                f"embedding model {model!r} is not a folder and not downloadable: {exc}"
            ) from exc
    config = json.loads((folder / "config.json").read_text())
    pooling = _pooling_mode(folder)
    max_seq = _max_seq_length(folder, config)
    return ModelFiles(
        model_id=model,
        folder=folder,
        pooling=pooling,
        max_seq_length=max_seq,
        dimension=int(config.get("hidden_size", 0)),
        fingerprint=_fingerprint(folder),
    )


def default_query_prefix(model: str) -> str:
    """bge models are trained with an instruction prefix on queries; others use none."""
    return BGE_QUERY_PREFIX if "bge" in model.lower() and "m3" not in model.lower() else ""


def _pooling_mode(folder: Path) -> str:
    for cfg in folder.glob("*_Pooling/config.json"):
        data = json.loads(cfg.read_text())
        if data.get("pooling_mode_cls_token"):
            return "cls"
        return "mean"
    return "mean"


def _max_seq_length(folder: Path, config: dict[str, object]) -> int:
    st_cfg = folder / "sentence_bert_config.json"
    if st_cfg.exists():
        value = json.loads(st_cfg.read_text()).get("max_seq_length")
        if isinstance(value, int):
            return value
    limit = config.get("max_position_embeddings", 512)
    return int(limit) if isinstance(limit, int) else 512


def _fingerprint(folder: Path) -> str:
    """Content identity of a model: config and tokenizer bytes plus weight file sizes."""
    digest = hashlib.sha256()
    for name in ("config.json", "tokenizer.json", "modules.json", "sentence_bert_config.json"):
        path = folder / name
        if path.exists():
            digest.update(name.encode())
            digest.update(path.read_bytes())
    for weights in sorted(folder.glob("*.safetensors")) + sorted(folder.glob("*.bin")):
        digest.update(f"{weights.name}:{weights.stat().st_size}".encode())
    return digest.hexdigest()[:16]
