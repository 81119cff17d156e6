"""The one-time ONNX export runs once even when several processes start together."""

import threading
import time
from pathlib import Path

from retriever.embedding import onnx_export
from retriever.embedding.model_files import ModelFiles


def test_concurrent_starts_export_once(tmp_path: Path, monkeypatch):
    exports: list[int] = []

    def slow_export(files: ModelFiles, out: Path) -> None:
        exports.append(1)
        time.sleep(0.3)  # long enough for the other starters to arrive while it runs
        out.write_bytes(b"fp32")

    monkeypatch.setattr(onnx_export, "_export_fp32", slow_export)
    monkeypatch.setattr(onnx_export, "_fuse_transformer_ops", lambda fp32, out, files: fp32)
    monkeypatch.setattr(onnx_export, "_quantize", lambda model, out: out.write_bytes(b"int8"))
    files = ModelFiles("m", tmp_path / "model", "mean", 256, 384, "fingerprint")
    results: list[Path] = []
    starters = [
        threading.Thread(target=lambda: results.append(onnx_export.ensure_quantized_onnx(files, tmp_path)))
        for _ in range(4)
    ]
    for thread in starters:
        thread.start()
    for thread in starters:
        thread.join()
    assert len(exports) == 1
    assert len(results) == 4 and {r.read_bytes() for r in results} == {b"int8"}
