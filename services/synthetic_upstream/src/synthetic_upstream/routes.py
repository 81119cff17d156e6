"""OpenAI-compatible routes: chat completions, models, health, metrics."""

import time

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from synthetic_upstream.errors import error_response
from synthetic_upstream.serving import ChatResponse, create_chat_completion
from synthetic_upstream.state import get_state


async def chat_completions(request: Request) -> ChatResponse:
    """``POST /v1/chat/completions``."""
    return create_chat_completion(get_state(request), await request.body())


async def list_models(request: Request) -> JSONResponse:
    """``GET /v1/models`` in vLLM's shape, including ``max_model_len``."""
    state = get_state(request)
    created = int(state.started_at)
    data = [
        {
            "id": name,
            "object": "model",
            "created": created,
            "owned_by": "vllm",
            "root": name,
            "parent": None,
            "max_model_len": state.settings.max_model_len,
        }
        for name in state.settings.models
    ]
    return JSONResponse({"object": "list", "data": data})


async def health(request: Request) -> Response:
    """``GET /health``: 200 when ready, 503 while "loading"."""
    if get_state(request).faults.loading:
        return error_response(503, "model is loading")
    return Response(status_code=200)


async def metrics(request: Request) -> PlainTextResponse:
    """``GET /metrics``: the few vLLM gauges and counters tests look at."""
    state = get_state(request)
    label = f'{{model_name="{state.settings.models[0]}"}}'
    lines = [
        "# TYPE vllm:num_requests_running gauge",
        f"vllm:num_requests_running{label} {state.stats.active}",
        "# TYPE vllm:num_requests_waiting gauge",
        f"vllm:num_requests_waiting{label} 0",
        "# TYPE vllm:request_success_total counter",
        f"vllm:request_success_total{label} {state.stats.completed}",
        "# TYPE vllm:generation_tokens_total counter",
        f"vllm:generation_tokens_total{label} {state.stats.tokens_sent}",
        "# TYPE synthetic_upstream_uptime_seconds gauge",
        f"synthetic_upstream_uptime_seconds {time.time() - state.started_at:.3f}",
    ]
    return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")


ROUTES = [
    Route("/v1/chat/completions", chat_completions, methods=["POST"]),
    Route("/v1/models", list_models, methods=["GET"]),
    Route("/health", health, methods=["GET"]),
    Route("/metrics", metrics, methods=["GET"]),
]
