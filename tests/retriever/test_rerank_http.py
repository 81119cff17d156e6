"""HttpReranker request and response handling against a fake rerank server under real uvicorn."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np
import pytest
from retriever.rerank.base import CandidateSet, RerankError
from retriever.rerank.http import HttpReranker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from support.inprocess import serve
from support.ports import free_port

QUERY = "iphone net sales"
DOCS = [
    "Services revenue grew.",
    "iPhone net sales rose 6%.",
    "Net sales of iPhone and Mac.",
    "Risk factors.",
]


@dataclass
class FakeRerankServer:
    """What the fake answers next, and what it was sent."""

    mode: str = "ok"
    delay_s: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)


def _relevance(query: str, document: str) -> float:
    """A deterministic stand-in for a cross-encoder: shared lower-case words."""
    return float(len(set(query.lower().split()) & set(document.lower().rstrip(".").split())))


def _app(state: FakeRerankServer) -> Starlette:
    async def rerank(request: Request) -> Response:
        body = await request.json()
        state.requests.append(body)
        state.headers.append(dict(request.headers))
        if state.delay_s:
            await asyncio.sleep(state.delay_s)
        if state.mode == "error":
            error = {
                "message": "This model's maximum context length is 512 tokens.\nShorten it.",
                "code": 400,
            }
            return JSONResponse({"error": error}, status_code=400)
        if state.mode == "not_json":
            return PlainTextResponse("<html>bad gateway</html>", status_code=200)
        docs = body["documents"]
        results = [
            {"index": i, "document": {"text": d}, "relevance_score": _relevance(body["query"], d) + i / 100}
            for i, d in enumerate(docs)
        ]
        # Like vLLM: sorted by relevance, not in request order.
        results.sort(key=lambda r: r["relevance_score"], reverse=True)
        if state.mode == "missing":
            results = results[:-1]
        if state.mode == "repeated":
            results[-1]["index"] = results[0]["index"]
        if state.mode == "no_results":
            return JSONResponse({"id": "x", "data": []})
        return JSONResponse({"id": "rerank-1", "model": body["model"], "results": results})

    return Starlette(routes=[Route("/v1/rerank", rerank, methods=["POST"])])


@pytest.fixture(scope="module")
def fake() -> Iterator[tuple[FakeRerankServer, str]]:
    state = FakeRerankServer()
    with serve(_app(state)) as url:
        yield state, url + "/v1"


@pytest.fixture
def server(fake: tuple[FakeRerankServer, str]) -> tuple[FakeRerankServer, str]:
    state, base_url = fake
    state.mode, state.delay_s = "ok", 0.0
    state.requests.clear()
    state.headers.clear()
    return state, base_url


def candidates(texts: list[str] = DOCS, query: str = QUERY) -> CandidateSet:
    return CandidateSet(
        query=query, ids=np.arange(len(texts), dtype=np.int64), texts=texts, metadata=[], features={}
    )


def expected_scores(texts: list[str]) -> np.ndarray:
    return np.array([_relevance(QUERY, d) + i / 100 for i, d in enumerate(texts)], dtype=np.float32)


def test_scores_align_with_candidates_whatever_order_the_server_answers_in(server):
    state, base_url = server
    with HttpReranker(base_url, "bge-reranker", api_key="sk-test") as reranker:
        scores = reranker.score(candidates())
    np.testing.assert_allclose(scores, expected_scores(DOCS), rtol=1e-6)
    assert scores.shape == (len(DOCS),) and np.all(np.isfinite(scores))
    assert state.requests == [
        {
            "model": "bge-reranker",
            "query": QUERY,
            "documents": DOCS,
            "top_n": len(DOCS),
            "truncate_prompt_tokens": -1,
        }
    ]
    assert state.headers[0]["authorization"] == "Bearer sk-test"


def test_no_api_key_sends_no_authorization_header_and_truncation_can_be_left_out(server):
    state, base_url = server
    with HttpReranker(base_url, "m", truncate=False) as reranker:
        reranker.score(candidates())
    assert "authorization" not in state.headers[0]
    assert "truncate_prompt_tokens" not in state.requests[0]


def test_only_max_documents_are_sent_and_the_rest_keep_their_order_below(server):
    state, base_url = server
    with HttpReranker(base_url, "m", max_documents=2) as reranker:
        scores = reranker.score(candidates())
    assert state.requests[0]["documents"] == DOCS[:2] and state.requests[0]["top_n"] == 2
    np.testing.assert_allclose(scores[:2], expected_scores(DOCS[:2]), rtol=1e-6)
    assert scores[2] > scores[3] and scores[2] < scores[:2].min()


def test_no_candidates_make_no_request(server):
    state, base_url = server
    with HttpReranker(base_url, "m") as reranker:
        assert reranker.score(candidates([])).shape == (0,)
    assert state.requests == []


def test_server_error_becomes_one_line_rerank_error(server):
    state, base_url = server
    state.mode = "error"
    with HttpReranker(base_url, "m") as reranker, pytest.raises(RerankError) as raised:
        reranker.score(candidates())
    message = str(raised.value)
    assert "answered 400" in message and "maximum context length is 512 tokens" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("mode", "detail"),
    [
        ("missing", "scored 3 of 4"),
        ("repeated", "repeated index"),
        ("no_results", "at results"),
        ("not_json", "not JSON"),
    ],
)
def test_malformed_responses_raise_rerank_error(server, mode: str, detail: str):
    state, base_url = server
    state.mode = mode
    with HttpReranker(base_url, "m") as reranker, pytest.raises(RerankError, match=detail):
        reranker.score(candidates())


def test_slow_server_times_out_without_retrying(server):
    state, base_url = server
    state.delay_s = 1.5
    with HttpReranker(base_url, "m", timeout=0.3) as reranker:
        started = time.monotonic()
        with pytest.raises(RerankError, match=r"timed out after 0\.3 s"):
            reranker.score(candidates())
    assert time.monotonic() - started < 1.2
    assert len(state.requests) == 1


def test_down_server_raises_fast():
    port = free_port()
    # Nobody listens on `port` now: the connect is refused at once, both attempts.
    with HttpReranker(f"http://127.0.0.1:{port}/v1", "m", timeout=5.0) as reranker:
        started = time.monotonic()
        with pytest.raises(RerankError, match="unreachable: ConnectError"):
            reranker.score(candidates())
    assert time.monotonic() - started < 1.0


def _flaky_transport(failures: int) -> tuple[httpx.MockTransport, list[int]]:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) <= failures:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(200, json={"results": [{"index": 0, "relevance_score": 0.5}]})

    return httpx.MockTransport(handler), calls


def test_connection_errors_are_retried_a_bounded_number_of_times():
    transport, calls = _flaky_transport(failures=1)
    with HttpReranker("http://reranker/v1", "m", max_attempts=2, transport=transport) as reranker:
        assert reranker.score(candidates(["one"])).tolist() == [0.5]
    assert len(calls) == 2

    transport, calls = _flaky_transport(failures=10)
    reranker = HttpReranker("http://reranker/v1", "m", max_attempts=3, transport=transport)
    with reranker, pytest.raises(RerankError, match="unreachable"):
        reranker.score(candidates(["one"]))
    assert len(calls) == 3


def test_repr_and_errors_never_show_the_api_key(server):
    state, base_url = server
    state.mode = "error"
    reranker = HttpReranker(base_url, "m", api_key="sk-secret")
    with reranker, pytest.raises(RerankError) as raised:
        reranker.score(candidates())
    assert "sk-secret" not in repr(reranker) and "sk-secret" not in str(raised.value)


def test_constructor_refuses_missing_url_or_model():
    with pytest.raises(ValueError, match="base_url"):
        HttpReranker("", "m")
    with pytest.raises(ValueError, match="model"):
        HttpReranker("http://x/v1", "")


def test_a_url_httpx_cannot_use_is_a_rerank_error_too():
    with HttpReranker("ftp://reranker/v1", "m") as reranker, pytest.raises(RerankError, match="unreachable"):
        reranker.score(candidates(["one"]))
