"""Document/query encoders: sentence-transformers on torch, or an int8 ONNX Runtime export."""

import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

import numpy as np
from retriever.embedding.model_files import ModelFiles
from retriever.embedding.onnx_export import ensure_quantized_onnx
from tokenizers import Tokenizer
from tqdm import tqdm

logger = logging.getLogger(__name__)


class Encoder(Protocol):
    """Encodes texts to L2-normalised float32 vectors."""

    dimension: int

    def encode(self, texts: list[str], *, batch_size: int, show_progress: bool) -> np.ndarray: ...


class TorchEncoder:
    """sentence-transformers on PyTorch (CPU); one encode at a time."""

    def __init__(self, files: ModelFiles) -> None:
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(files.folder), device="cpu")
        # torch already spreads one encode over all cores; concurrent encodes would only fight for them.
        self._lock = threading.Lock()
        self.dimension = int(self._model.get_embedding_dimension() or files.dimension)

    def encode(self, texts: list[str], *, batch_size: int, show_progress: bool) -> np.ndarray:
        with self._lock:
            vectors = self._model.encode(
                texts,
                batch_size=batch_size,
                normalize_embeddings=True,
                show_progress_bar=show_progress,
                convert_to_numpy=True,
            )
        return np.asarray(vectors, dtype=np.float32)


class OnnxEncoder:
    """Dynamically int8-quantised ONNX export run with ONNX Runtime; pooling and normalisation in numpy.

    Safe to call from several threads at once: session.run is thread-safe and the tokenizer is read-only.
    """

    def __init__(self, files: ModelFiles, cache_dir: Path) -> None:
        import onnxruntime as ort

        path = ensure_quantized_onnx(files, cache_dir)
        options = ort.SessionOptions()
        # One thread per run, several runs in parallel: less synchronisation (and no spinning on a busy
        # machine) than one multi-threaded run; measured ~20% less CPU per chunk.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._workers = os.cpu_count() or 1
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._tokenizer = Tokenizer.from_file(str(files.folder / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(files.max_seq_length)
        self._pooling = files.pooling
        self.dimension = files.dimension

    def encode(self, texts: list[str], *, batch_size: int, show_progress: bool) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(texts)
        # Length-sorted batches keep padding (wasted compute) small.
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        batches = [order[lo : lo + batch_size] for lo in range(0, len(order), batch_size)]
        with tqdm(total=len(texts), desc="embedding", unit="chunk", disable=not show_progress) as bar:
            if len(batches) == 1 or self._workers == 1:
                for idx in batches:
                    out[idx] = self._run([encodings[i] for i in idx])
                    bar.update(len(idx))
                return out
            # session.run releases the GIL, so threads run batches on all cores.
            with ThreadPoolExecutor(max_workers=self._workers) as pool:
                results = pool.map(lambda idx: (idx, self._run([encodings[i] for i in idx])), batches)
                for idx, vectors in results:
                    out[idx] = vectors
                    bar.update(len(idx))
        return out

    def _run(self, batch: list) -> np.ndarray:  # type: ignore[type-arg]
        width = max(len(e.ids) for e in batch)
        ids = np.zeros((len(batch), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        types = np.zeros_like(ids)
        for row, enc in enumerate(batch):
            n = len(enc.ids)
            ids[row, :n] = enc.ids
            mask[row, :n] = 1
            types[row, :n] = enc.type_ids
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        hidden = self._session.run(None, {k: v for k, v in feeds.items() if k in self._inputs})[0]
        if self._pooling == "cls":
            pooled = hidden[:, 0, :]
        else:
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
