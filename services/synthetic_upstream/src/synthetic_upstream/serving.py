"""Chat-completion logic: validate, record, apply faults, plan the generation."""

import json
import uuid
from typing import Any

from pydantic import ValidationError
from starlette.responses import Response

from synthetic_upstream.errors import error_response
from synthetic_upstream.generation import FullCompletion, Generation, StreamingCompletion
from synthetic_upstream.protocol import ChatCompletionRequest, count_prompt_tokens
from synthetic_upstream.state import UpstreamState

ChatResponse = Response | StreamingCompletion | FullCompletion


def _validation_message(exc: ValidationError) -> tuple[str, str | None]:
    first = exc.errors()[0]
    param = ".".join(str(part) for part in first["loc"]) or None
    return f"{param}: {first['msg']}" if param else first["msg"], param


def create_chat_completion(state: UpstreamState, raw_body: bytes) -> ChatResponse:
    """Answer one ``POST /v1/chat/completions`` body."""
    request_id = f"chatcmpl-{uuid.uuid4().hex}"
    try:
        body: Any = json.loads(raw_body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        state.stats.record_request(request_id, raw_body.decode("utf-8", errors="replace"))
        state.stats.rejected += 1
        return error_response(400, "request body is not valid JSON")
    state.stats.record_request(request_id, body)

    plan = state.faults.plan_request()
    if plan.error is not None:
        state.stats.errors_injected += 1
        return error_response(plan.error.status, plan.error.message, retry_after=plan.error.retry_after)

    try:
        request = ChatCompletionRequest.model_validate(body)
    except ValidationError as exc:
        state.stats.rejected += 1
        message, param = _validation_message(exc)
        return error_response(400, message, param)
    if request.model not in state.settings.models:
        state.stats.rejected += 1
        return error_response(404, f"The model `{request.model}` does not exist.", "model")

    requested = request.max_completion_tokens or request.max_tokens
    script = state.replies.take()
    planned = len(script) if script is not None else requested or state.timing.output_tokens
    n_tokens = min(planned, requested or planned, state.settings.max_output_tokens)
    prompt_tokens = count_prompt_tokens(request.messages)
    if state.settings.enforce_max_model_len and prompt_tokens + n_tokens > state.settings.max_model_len:
        state.stats.rejected += 1
        return error_response(
            400,
            f"This model's maximum context length is {state.settings.max_model_len} tokens. However, you "
            f"requested {prompt_tokens + n_tokens} tokens ({prompt_tokens} in the messages, {n_tokens} in "
            "the completion). Please reduce the length of the messages or completion.",
        )

    generation = Generation(
        request_id=request_id,
        model=request.model,
        n_tokens=n_tokens,
        finish_reason="length" if requested is not None and n_tokens >= requested else "stop",
        prompt_tokens=prompt_tokens,
        include_usage=bool(request.stream_options and request.stream_options.include_usage),
        ttft_s=(state.timing.ttft_ms / 1000.0) + plan.extra_first_token_delay_s,
        itl_s=state.timing.itl_ms / 1000.0,
        drop_after_tokens=plan.drop_after_tokens,
        script=script,
    )
    completion_cls = StreamingCompletion if request.stream else FullCompletion
    return completion_cls(generation, state.stats)
