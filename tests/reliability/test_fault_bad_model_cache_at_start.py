"""A corrupt cached embedding model at start is reported like a broken index: exit 2, one clear line, never
serving (the retriever keeps its int8 ONNX export under RAG_CACHE_DIR/onnx/<fingerprint>/)."""

from __future__ import annotations

import time

from reliability.gateway_process import is_listening, start_gateway

EXIT_TIMEOUT_S = 300.0


def test_corrupt_onnx_cache_exits_2_with_one_line(
    embedder, gateway_defaults, log_dir, upstream_session, tmp_path
):
    from retriever.embedding.onnx_export import QUANTIZED_NAME

    cached = tmp_path / "cache" / "onnx" / embedder.fingerprint / QUANTIZED_NAME
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"\x08\x07truncated onnx protobuf")
    settings = gateway_defaults(upstream_session.base_url, cache_dir=tmp_path / "cache")
    gateway = start_gateway(log_dir, **settings)
    served = False
    try:
        deadline = time.monotonic() + EXIT_TIMEOUT_S
        while gateway.process.poll() is None and time.monotonic() < deadline:
            served = served or is_listening(gateway.port)
            time.sleep(0.05)
    finally:
        gateway.stop()
    stderr = gateway.stderr()
    assert not served
    assert gateway.process.returncode == 2, stderr[-3000:]
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines[-1].startswith("rag-gateway: error:"), stderr[-3000:]
    assert "Traceback" not in stderr, stderr[-3000:]
