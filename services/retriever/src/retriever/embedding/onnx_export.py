"""One-time export of a transformer to ONNX and dynamic int8 quantisation, cached on disk."""

import logging
import os
import tempfile
from pathlib import Path

from retriever.embedding.model_files import ModelFiles

logger = logging.getLogger(__name__)

QUANTIZED_NAME = "model_int8.onnx"


def ensure_quantized_onnx(files: ModelFiles, cache_dir: Path) -> Path:
    """Return the cached int8 ONNX model for files, exporting and quantising it on first use."""
    target_dir = cache_dir / "onnx" / files.fingerprint
    target = target_dir / QUANTIZED_NAME
    if target.exists():
        return target
    shipped = files.folder / "onnx" / QUANTIZED_NAME
    if shipped.exists():
        return shipped
    target_dir.mkdir(parents=True, exist_ok=True)
    logger.info("exporting %s to ONNX int8 (one time) into %s", files.model_id, target_dir)
    with tempfile.TemporaryDirectory(dir=target_dir) as tmp:
        fp32 = Path(tmp) / "model.onnx"
        _export_fp32(files, fp32)
        staged = Path(tmp) / QUANTIZED_NAME
        _quantize(fp32, staged)
        os.replace(staged, target)
    return target


def _export_fp32(files: ModelFiles, out: Path) -> None:
    import torch
    from transformers import AutoModel

    base = AutoModel.from_pretrained(str(files.folder)).eval()
    uses_types = getattr(base.config, "type_vocab_size", 0) > 0

    class _LastHidden(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            kwargs = dict(zip(names, inputs, strict=True))
            return self.model(**kwargs).last_hidden_state

    names = ["input_ids", "attention_mask"] + (["token_type_ids"] if uses_types else [])
    dummy = tuple(torch.ones(2, 16, dtype=torch.long) for _ in names)
    axes = {name: {0: "batch", 1: "seq"} for name in [*names, "last_hidden_state"]}
    with torch.no_grad():
        torch.onnx.export(
            _LastHidden(base),
            dummy,
            str(out),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )


def _quantize(fp32: Path, out: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # MatMul-only, per-channel int8 keeps cosine to fp32 ~0.99 while running ~3x faster on CPU.
    quantize_dynamic(
        str(fp32), str(out), weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=["MatMul"]
    )
