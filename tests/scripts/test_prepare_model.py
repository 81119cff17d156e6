"""scripts/prepare_model.py: split GGUF uploads are assembled in order and must match their pinned sha256."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "prepare_model.py"


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("prepare_model", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


pm = _load_script()
PARTS = (b"GGUF" + b"\x01" * 1000, b"\x02" * 777, b"\x03" * 5)


def _fake_upload(target: Path, prefix: str, parts: tuple[bytes, ...]) -> None:
    """Packages laid out like the real ones: <prefix>N/__init__.py with get_part_path() -> data/partNN.bin."""
    for n, payload in enumerate(parts, start=1):
        package = target / f"{prefix}{n}"
        (package / "data").mkdir(parents=True)
        (package / "data" / f"part{n:02d}.bin").write_bytes(payload)
        (package / "__init__.py").write_text(
            "import os\n"
            "def get_part_path():\n"
            "    here = os.path.dirname(os.path.abspath(__file__))\n"
            f"    return os.path.join(here, 'data', 'part{n:02d}.bin')\n"
        )


def _model(prefix: str, payload: bytes) -> object:
    return pm.LocalModel(
        name="fake",
        folder="fake-instruct",
        requirements=tuple(f"fake-part{n}==1.0" for n in range(1, len(PARTS) + 1)),
        gguf_name="fake.gguf",
        size=len(payload),
        sha256=hashlib.sha256(payload).hexdigest(),
        max_model_len=1024,
        module_prefix=prefix,
    )


def test_parts_are_concatenated_in_order_and_checked(tmp_path: Path) -> None:
    prefix = "fake_ok_part"
    _fake_upload(tmp_path / "parts", prefix, PARTS)
    model = _model(prefix, b"".join(PARTS))
    paths = pm.part_paths(model, tmp_path / "parts")
    assert [p.name for p in paths] == ["part01.bin", "part02.bin", "part03.bin"]
    out = pm.assemble_gguf(model, paths, tmp_path / "out" / "fake.gguf")
    assert out.read_bytes() == b"".join(PARTS)


def test_a_changed_part_fails_loudly_and_leaves_no_file(tmp_path: Path) -> None:
    prefix = "fake_changed_part"
    changed = (PARTS[0], PARTS[1][:-1] + b"\x09", PARTS[2])  # same size, one byte differs
    _fake_upload(tmp_path / "parts", prefix, changed)
    model = _model(prefix, b"".join(PARTS))
    dest = tmp_path / "out" / "fake.gguf"
    with pytest.raises(pm.ModelIntegrityError, match="sha256"):
        pm.assemble_gguf(model, pm.part_paths(model, tmp_path / "parts"), dest)
    assert list(dest.parent.iterdir()) == []


def test_a_reused_file_from_an_older_pin_is_not_trusted(tmp_path: Path) -> None:
    prefix = "fake_reuse_part"
    _fake_upload(tmp_path / "parts" / "fake-instruct", prefix, PARTS)
    (tmp_path / "parts" / "fake-instruct" / ".installed").write_text(
        "\n".join(f"fake-part{n}==1.0" for n in range(1, len(PARTS) + 1)) + "\n"
    )
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    (downloads / "fake.gguf").write_bytes(b"an older file")
    model = _model(prefix, b"".join(PARTS))
    got = pm.fetch_gguf(model, tmp_path / "parts", downloads)
    assert got.read_bytes() == b"".join(PARTS)


def test_every_pinned_model_has_a_full_pin() -> None:
    for name, model in pm.MODELS.items():
        assert model.folder == f"{name}-instruct"  # the Makefile derives the folder from LOCAL_LLM
        assert len(model.sha256) == 64 and int(model.sha256, 16) >= 0
        assert model.size > 0 and all("==" in r for r in model.requirements)
    assert len(pm.MODELS["qwen2.5-coder-1.5b"].requirements) == 22
    assert len(pm.MODELS["qwen2.5-coder-0.5b"].requirements) == 6
