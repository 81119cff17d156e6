"""Chat completions: resolve the upstream, retrieve, build the prompt, call the upstream, answer."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from pydantic_core import to_json
from retriever.filters import FilterError, parse_filter
from retriever.hits import Hit
from starlette.responses import Response

from gateway.chat.grounded import (
    AnswerCheck,
    GroundedAnswer,
    annotate_completion,
    completion_texts,
    ground_answer,
)
from gateway.chat.protocol import ChatCompletionRequest, RagOptions, Source
from gateway.chat.streaming import (
    ChatStream,
    Ending,
    Transcript,
    ending_frames,
    error_from_payload,
    is_error_payload,
    sources_chunk,
)
from gateway.errors import GatewayError, invalid_request
from gateway.http.deferred import DeferredResponse
from gateway.http.sse import DeferredSSEResponse
from gateway.http.timing import server_timing
from gateway.metrics import Metrics
from gateway.prompt.builder import PromptPlan, build_prompt, user_texts
from gateway.prompt.tokens import TokenCounters
from gateway.retrieval.service import RetrievalService
from gateway.settings import GatewaySettings
from gateway.upstream.caller import OpenedStream, UpstreamCaller
from gateway.upstream.registry import Upstream, UpstreamRegistry

logger = logging.getLogger(__name__)

INDEX_VERSION_HEADER = "X-RAG-Index-Version"


@dataclass
class PreparedChat:
    """Everything decided before the upstream is called."""

    model: str
    upstream: Upstream
    payload: dict[str, Any]
    sources: list[dict[str, Any]] | None
    index_version: str
    started: float
    timings: dict[str, float] = field(default_factory=dict)
    # The text the index was searched with (None: no retrieval); the Responses API reports it as `queries`.
    query: str | None = None
    # What was searched and why (SearchPlan.describe()): effective and inferred filters, Items, carried scope.
    retrieval: dict[str, Any] | None = None

    @property
    def fingerprint(self) -> str:
        """`system_fingerprint`: identifies the index version that grounded the answer."""
        return f"rag-index-{self.index_version}"

    def headers(self, **durations: float) -> dict[str, str]:
        """Index version and Server-Timing (retrieval timings, then `durations`, in seconds)."""
        timings = {**self.timings, **durations}
        return {INDEX_VERSION_HEADER: self.index_version, "Server-Timing": server_timing(timings)}


class ChatService:
    """Serves /v1/chat/completions."""

    def __init__(
        self,
        settings: GatewaySettings,
        registry: UpstreamRegistry,
        caller: UpstreamCaller,
        retrieval: RetrievalService,
        counters: TokenCounters,
        metrics: Metrics,
    ) -> None:
        self._settings = settings
        self._registry = registry
        self._caller = caller
        self._retrieval = retrieval
        self._counters = counters
        self._metrics = metrics

    def metrics_label(self, model: str) -> str:
        """The model as a metrics label; names no upstream serves become "unknown" (bounded cardinality)."""
        return model if self._registry.is_known(model) else "unknown"

    async def create(self, request: ChatCompletionRequest, *, base_url: str = "") -> Response:
        """Answer one chat request (JSON or SSE); `base_url` (the request's) makes citation URLs absolute."""
        prepared = await self._prepare(request)
        check = AnswerCheck.for_request(request, self._settings.grounding, base_url)
        if request.stream:
            return self._stream(
                prepared,
                check,
                forward_usage=bool(request.stream_options and request.stream_options.include_usage),
            )
        # The whole answer is awaited while the client is watched: one that leaves first cancels it.
        return DeferredResponse(lambda: self._complete(prepared, check))

    async def prepare(self, request: ChatCompletionRequest) -> PreparedChat:
        """Route, retrieve and fit the prompt: everything before the upstream call (shared with Responses)."""
        return await self._prepare(request)

    async def complete_upstream(self, prepared: PreparedChat) -> tuple[dict[str, Any], float]:
        """The upstream's chat.completion body (usage counted) and the upstream seconds."""
        body, upstream_seconds = await self._caller.complete(prepared.upstream, prepared.payload)
        usage = body.get("usage")
        if isinstance(usage, dict):
            self._record_usage(prepared.model, usage)
        return body, upstream_seconds

    async def open_upstream(self, prepared: PreparedChat) -> OpenedStream:
        """The upstream stream once it produced output (retried until then); an error event raises."""
        opened = await self._caller.open_stream(prepared.upstream, prepared.payload)
        if is_error_payload(opened.head[-1]):
            await opened.aclose()
            raise error_from_payload(opened.head[-1])
        return opened

    def record_usage(self, model: str, usage: dict[str, Any]) -> None:
        """Count a usage object's tokens in the token metrics."""
        self._record_usage(model, usage)

    def ground(self, prepared: PreparedChat, check: AnswerCheck, texts: dict[int, str]) -> GroundedAnswer:
        """Citations and the figure check for a finished answer, counted in the unsupported-answers metric."""
        return self._ground(prepared, check, texts)

    async def _prepare(self, request: ChatCompletionRequest) -> PreparedChat:
        started = time.perf_counter()
        s = self._settings
        rag = request.rag or RagOptions()
        filters = self._parse_filters(rag)
        self._check_store(rag)
        upstream = await self._registry.resolve(request.model)
        max_model_len = await self._registry.max_model_len(upstream, request.model)
        requested = request.requested_max_tokens
        if requested is not None and requested >= max_model_len:
            param = "max_completion_tokens" if request.max_completion_tokens else "max_tokens"
            raise invalid_request(
                f"{param}={requested} must be smaller than the model's context window "
                f"({max_model_len} tokens).",
                param=param,
                code="context_length_exceeded",
            )

        payload = request.model_dump(exclude_unset=True, exclude={"rag"})
        if requested is None and s.default_completion_tokens < max_model_len:
            # Context fitting reserved this many tokens for the answer; without a cap vLLM would generate
            # until the window is full (minutes on CPU).
            payload["max_tokens"] = s.default_completion_tokens
        if request.stream:
            # Usage is always requested upstream for the token metrics; the client only sees it if it asked.
            payload["stream_options"] = {**(payload.get("stream_options") or {}), "include_usage": True}
        index_version = self._retrieval.version
        prepared = PreparedChat(request.model, upstream, payload, None, index_version, started)

        enabled = rag.enabled if rag.enabled is not None else s.rag_default_enabled
        # Every user turn, oldest first: a follow-up inherits the companies, year and topic it leaves open.
        turns = user_texts(payload["messages"]) if enabled else []
        query = turns[-1] if turns else None
        if not enabled:
            return prepared
        self._retrieval.check_reranker(rag.rerank, param="rag.rerank")
        prepared.query = query
        completion_tokens = requested or s.default_completion_tokens

        def fit(hits: list[Hit]) -> PromptPlan:
            # Runs in a worker thread; the counter loads from disk on the model's first request only.
            counter = self._counters.for_model(request.model)
            return build_prompt(
                payload["messages"],
                hits,
                count_tokens=counter,
                max_model_len=max_model_len,
                completion_tokens=completion_tokens,
                upper_bound=counter.upper_bound,
                count_passage=lambda hit: counter.passage(hit.text, hit.tokens),
            )

        hits: list[Hit] = []
        if query:
            k = min(rag.max_num_results or s.top_k, s.max_top_k)
            threshold = rag.score_threshold if rag.score_threshold is not None else s.score_threshold
            infer = rag.infer_filters if rag.infer_filters is not None else s.infer_filters
            retrieved, plan = await self._retrieval.search_then(
                turns, k, filters, threshold, then=fit, infer_filters=infer, rerank=rag.rerank
            )
            hits = retrieved.hits
            if retrieved.plan is not None:
                prepared.retrieval = retrieved.plan.describe()
                prepared.query = retrieved.plan.query
                if retrieved.inferred_filter is not None:
                    logger.info("scoped by the conversation: %s", prepared.retrieval["inferred_filters"])
            prepared.index_version = retrieved.index_version
            prepared.timings.update(embed=retrieved.embed_seconds, search=retrieved.search_seconds)
        else:
            plan = await asyncio.to_thread(fit, hits)
        if plan.dropped:
            logger.info("context fitting dropped %d of %d sources", plan.dropped, len(hits))
        payload["messages"] = plan.messages
        prepared.sources = [Source.from_hit(n, hit).model_dump() for n, hit in enumerate(plan.used, start=1)]
        return prepared

    @staticmethod
    def _parse_filters(rag: RagOptions) -> Any:
        try:
            return parse_filter(rag.filters)
        except RecursionError:
            raise invalid_request("filters are nested too deeply.", param="rag.filters") from None
        except FilterError as exc:
            raise invalid_request(
                str(exc), param=f"rag.{exc.param}" if exc.param else "rag.filters"
            ) from None

    def _check_store(self, rag: RagOptions) -> None:
        for position, store_id in enumerate(rag.vector_store_ids or []):
            if store_id != self._settings.vector_store_id:
                raise GatewayError(
                    404,
                    f"No vector store found with id '{store_id}'.",
                    param=f"rag.vector_store_ids[{position}]",
                    code="vector_store_not_found",
                )

    def _record_usage(self, model: str, usage: dict[str, Any]) -> None:
        prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
        if isinstance(prompt, int):
            self._metrics.tokens.labels(model, "in").inc(prompt)
        if isinstance(completion, int):
            self._metrics.tokens.labels(model, "out").inc(completion)

    def _ground(self, prepared: PreparedChat, check: AnswerCheck, texts: dict[int, str]) -> GroundedAnswer:
        grounded = ground_answer(texts, prepared.sources, check)
        if grounded.grounding.unsupported:
            self._metrics.unsupported_answers.labels(self.metrics_label(prepared.model)).inc()
        return grounded

    async def _complete(self, prepared: PreparedChat, check: AnswerCheck) -> Response:
        body, upstream_seconds = await self.complete_upstream(prepared)
        body["system_fingerprint"] = prepared.fingerprint
        if prepared.sources is not None:
            body["sources"] = prepared.sources
        if prepared.retrieval is not None:
            body["retrieval"] = prepared.retrieval
        annotate_completion(body, self._ground(prepared, check, completion_texts(body)))
        headers = prepared.headers(upstream=upstream_seconds, total=time.perf_counter() - prepared.started)
        return Response(to_json(body), media_type="application/json", headers=headers)

    def _stream(
        self, prepared: PreparedChat, check: AnswerCheck, *, forward_usage: bool
    ) -> DeferredSSEResponse:
        deadline = asyncio.get_running_loop().time() + self._settings.total_timeout

        def on_end(transcript: Transcript) -> Ending:
            # Runs once the upstream is done: every content chunk has already been relayed.
            answer = transcript.answer()
            grounded = self._ground(prepared, check, answer.texts)
            return ending_frames(
                answer,
                fingerprint=prepared.fingerprint,
                annotations=grounded.annotations,
                grounding=grounded.grounding.model_dump(),
            )

        async def open_source() -> ChatStream:
            opened = await self.open_upstream(prepared)
            head = None
            if prepared.sources is not None:
                head = sources_chunk(
                    opened.head[0],
                    sources=prepared.sources,
                    fingerprint=prepared.fingerprint,
                    retrieval=prepared.retrieval,
                )
            return ChatStream(
                opened,
                head=head,
                forward_usage=forward_usage,
                deadline=deadline,
                on_usage=lambda usage: self._record_usage(prepared.model, usage),
                on_end=on_end,
            )

        # Headers go out with the first token; the upstream's share is in rag_gateway_upstream_ttft_seconds.
        return DeferredSSEResponse(
            open_source, prepared.headers(prepare=time.perf_counter() - prepared.started)
        )
