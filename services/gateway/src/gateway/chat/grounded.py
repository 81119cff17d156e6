"""Grounded chat answers: citation annotations and the figure check for one finished answer.

Runs on the whole answer once the upstream is done (never on the stream's hot path) and never fails the
answer: a bug in the check is logged and the answer goes out with `grounding.checked` false.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gateway.chat.protocol import ChatCompletionRequest, RagOptions
from gateway.grounding import Grounding, GroundingMode, check_figures, find_citations, unchecked
from gateway.prompt.builder import message_text

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AnswerCheck:
    """What one request asks of the check: the mode, where the gateway serves files, the user's own text."""

    mode: GroundingMode
    files_url: str
    questions: tuple[str, ...]

    @classmethod
    def for_request(
        cls, request: ChatCompletionRequest, default: GroundingMode, base_url: str
    ) -> AnswerCheck:
        """`rag.grounding` or the deployment default; `base_url` makes file URLs absolute."""
        rag = request.rag or RagOptions()
        questions = tuple(message_text(m.content) for m in request.messages if m.role == "user")
        return cls(rag.grounding or default, base_url.rstrip("/") + "/v1/files", questions)


@dataclass(frozen=True)
class GroundedAnswer:
    """Annotations per choice index (None when the answer had no sources) and the first choice's grounding."""

    annotations: dict[int, list[dict[str, Any]]] | None
    grounding: Grounding


def ground_answer(
    texts: Mapping[int, str], sources: Sequence[Mapping[str, Any]] | None, check: AnswerCheck
) -> GroundedAnswer:
    """Annotations for every choice, and the figure check of choice 0 against the sources (none: RAG off)."""
    known = sources or ()
    try:
        annotations = (
            {index: find_citations(text, known, check.files_url) for index, text in texts.items()}
            if sources is not None
            else None
        )
        answer = texts.get(0, "")
        if check.mode == "off":
            return GroundedAnswer(annotations, unchecked(answer, known))
        return GroundedAnswer(annotations, check_figures(answer, check.questions, known))
    except Exception:  # the answer matters more than its check; the traceback goes to the log only
        logger.exception("grounding check failed; answer sent unchecked")
        return GroundedAnswer(None if sources is None else {}, Grounding(checked=False))


def completion_texts(body: Mapping[str, Any]) -> dict[int, str]:
    """Content of each choice of a chat.completion body (tool calls and refusals have none)."""
    texts: dict[int, str] = {}
    for position, choice in enumerate(body.get("choices") or ()):
        message = choice.get("message") if isinstance(choice, dict) else None
        content = message.get("content") if isinstance(message, dict) else None
        index = choice.get("index", position) if isinstance(choice, dict) else position
        texts[index if isinstance(index, int) else position] = content if isinstance(content, str) else ""
    return texts


def annotate_completion(body: dict[str, Any], grounded: GroundedAnswer) -> None:
    """`message.annotations` on every choice (when there were sources) and the top-level `grounding`."""
    if grounded.annotations is not None:
        for position, choice in enumerate(body.get("choices") or ()):
            message = choice.get("message") if isinstance(choice, dict) else None
            if isinstance(message, dict):
                index = choice.get("index", position)
                message["annotations"] = grounded.annotations.get(index, [])
    body["grounding"] = grounded.grounding.model_dump()
