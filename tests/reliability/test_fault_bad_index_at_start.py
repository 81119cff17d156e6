"""Scenario 8: a corrupt index, or one whose manifest does not match the embedder, at start: the process exits
non-zero with one clear line on stderr and never serves."""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from reliability.gateway_process import GatewayProcess, is_listening, start_gateway

EXIT_TIMEOUT_S = 300.0


def corrupt_faiss(version: Path) -> None:
    (version / "index.faiss").write_bytes(b"this is not a faiss index\x00" * 20)


def truncate_chunks(version: Path) -> None:
    data = (version / "chunks.sqlite").read_bytes()
    (version / "chunks.sqlite").write_bytes(data[: len(data) // 3])


def other_dimension(version: Path) -> None:
    _edit_manifest(version, dimension=768)


def other_model(version: Path) -> None:
    _edit_manifest(version, model="BAAI/bge-small-en-v1.5", fingerprint="0123456789abcdef")


def other_query_prefix(version: Path) -> None:
    _edit_manifest(version, query_prefix="Represent this sentence for searching relevant passages: ")


def garbled_manifest(version: Path) -> None:
    (version / "manifest.json").write_text('{"name": "sec-10k", "version": ')


def _edit_manifest(version: Path, **embedding: object) -> None:
    path = version / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["embedding"].update(embedding)
    path.write_text(json.dumps(manifest))


def missing(root: Path) -> None:
    shutil.rmtree(root)


def empty(root: Path) -> None:
    shutil.rmtree(root)
    root.mkdir()


def dangling_current(root: Path) -> None:
    shutil.rmtree(root / "versions")


VERSION_BREAKAGES = [
    corrupt_faiss,
    truncate_chunks,
    other_dimension,
    other_model,
    other_query_prefix,
    garbled_manifest,
]
ROOT_BREAKAGES = [missing, empty, dangling_current]
CASES = [b.__name__ for b in (*VERSION_BREAKAGES, *ROOT_BREAKAGES)]
# Breakages that leave a sound index built for another embedder, and what the error line must name.
MISMATCHES = {
    "other_dimension": "dimension 768",
    "other_model": "fingerprint",
    "other_query_prefix": "query prefix",
}


@dataclass
class Outcome:
    code: int
    served: bool
    stderr: str


@pytest.fixture(scope="module")
def outcomes(index_root, gateway_defaults, log_dir, upstream_session, tmp_path_factory) -> dict[str, Outcome]:
    """Every broken layout started at once (start-up is mostly imports), each watched until it exits."""
    gateways: dict[str, GatewayProcess] = {}
    try:
        for breakage in (*VERSION_BREAKAGES, *ROOT_BREAKAGES):
            root = tmp_path_factory.mktemp(breakage.__name__) / "index"
            shutil.copytree(index_root, root, symlinks=True)
            if breakage in VERSION_BREAKAGES:
                breakage((root / "current").resolve())
            else:
                breakage(root)
            settings = gateway_defaults(upstream_session.base_url, index_dir=root)
            gateways[breakage.__name__] = start_gateway(log_dir, **settings)
        served = dict.fromkeys(gateways, False)
        deadline = time.monotonic() + EXIT_TIMEOUT_S
        while time.monotonic() < deadline and any(g.process.poll() is None for g in gateways.values()):
            for name, gateway in gateways.items():
                served[name] = served[name] or is_listening(gateway.port)
            time.sleep(0.05)
        return {
            name: Outcome(
                gateway.process.poll() if gateway.process.poll() is not None else -999,
                served[name],
                gateway.stderr(),
            )
            for name, gateway in gateways.items()
        }
    finally:
        for gateway in gateways.values():
            gateway.stop()


@pytest.mark.parametrize("case", CASES)
def test_broken_index_exits_2_with_one_clear_line_and_never_serves(case, outcomes):
    outcome = outcomes[case]
    assert outcome.code != -999, f"the gateway kept running on a broken index:\n{outcome.stderr[-2000:]}"
    assert outcome.code == 2, outcome.stderr[-2000:]
    assert not outcome.served, "the gateway listened before failing"
    lines = [line for line in outcome.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("rag-gateway: error:")]
    assert len(errors) == 1, f"expected one error line, got:\n{outcome.stderr[-3000:]}"
    assert lines[-1] == errors[0], f"the error line must be the last thing printed:\n{outcome.stderr[-3000:]}"
    assert "Traceback" not in outcome.stderr
    # anything else on stderr is start-up progress logging, never a second error
    noise = [line for line in lines[:-1] if '"level": "INFO"' not in line]
    assert noise == [], noise
    if case in MISMATCHES:
        # the operator must learn the index is sound but built for another embedder (README troubleshooting)
        assert "does not match the embedder" in errors[0], errors[0]
        assert MISMATCHES[case] in errors[0], errors[0]
    else:
        assert "does not match the embedder" not in errors[0], errors[0]
