"""Gateway test fixtures: a real index from two filings, a synthetic upstream, gateways under real uvicorn.

The fixtures themselves (`embedder`, `index_root`, `search_index`, `upstream_session`, `upstream`,
`make_gateway`, `shared_gateway`, `gateway`, `client`, `http`) live in tests/support/plugin.py so other test
folders reuse them; the helpers are re-exported here for the tests that import them from `conftest`.
"""

from __future__ import annotations

from support.corpus import FILINGS, REPO, build_index, corpus_documents, shared_data_dir
from support.inprocess import MODEL, Gateway, gateway_settings, serve
from support.ports import free_port

__all__ = [
    "FILINGS",
    "MODEL",
    "REPO",
    "Gateway",
    "build_index",
    "corpus_documents",
    "free_port",
    "gateway_settings",
    "serve",
    "shared_data_dir",
]
