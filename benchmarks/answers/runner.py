"""Send FinanceBench's scorable questions through the gateway in each setting and score the answers."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from benchmarks.answers.client import Reply, ask
from benchmarks.answers.scoring import Scored, aggregate, evidence_file_ids, score_reply
from benchmarks.financebench.documents import shared_corpus
from benchmarks.financebench.paths import financebench_dir
from benchmarks.financebench.questions import QUESTIONS, EvalQuestion, load_questions

logger = logging.getLogger(__name__)
SETTINGS = ("rag", "oracle", "norag")


@dataclass(frozen=True)
class Case:
    """A question with its gold answer and the accession of its evidence document (for file ids)."""

    question: EvalQuestion
    gold: str
    accession: str | None


def load_cases(folder: Path | None = None) -> list[Case]:
    """The 129 scorable questions (benchmarks.financebench) with their gold answers."""
    folder = folder or financebench_dir()
    corpus = shared_corpus()
    accessions = {d.doc_id: d.accession for d in corpus.documents}
    with (folder / QUESTIONS).open(encoding="utf-8") as fh:
        gold = {row["financebench_id"]: row["answer"] for row in map(json.loads, fh)}
    return [Case(q, gold[q.qid], accessions.get(q.doc_id)) for q in load_questions(corpus, folder)]


def rag_options(setting: str, question: EvalQuestion, passages: int | None) -> dict[str, Any]:
    """The request's `rag` object for a setting.

    oracle: the search is restricted to the evidence pages (doc_id + 1-based page), so the passages shown are
    the evidence pages' chunks ranked by the same search: the upper bound of retrieval.
    """
    if setting == "norag":
        return {"enabled": False}
    options: dict[str, Any] = {}
    if passages is not None:
        options["max_num_results"] = passages
    if setting == "oracle":
        options["filters"] = {
            "type": "and",
            "filters": [
                {"type": "eq", "key": "doc_id", "value": question.doc_id},
                {"type": "in", "key": "page", "value": sorted(p + 1 for p in question.pages)},
            ],
        }
    return options


def request_body(
    case: Case, setting: str, model: str, max_tokens: int, passages: int | None, system: str | None
) -> dict[str, Any]:
    """The chat completion request for one question in one setting."""
    messages = [{"role": "user", "content": case.question.question}]
    if system:
        messages.insert(0, {"role": "system", "content": system})
    return {
        "model": model,
        "messages": messages,
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_tokens": max_tokens,
        "temperature": 0,
        "rag": rag_options(setting, case.question, passages),
    }


async def run_setting(
    base_url: str,
    api_key: str,
    cases: list[Case],
    setting: str,
    *,
    model: str,
    max_tokens: int,
    passages: int | None,
    system: str | None,
    concurrency: int,
    timeout_s: float,
    on_row: Callable[[Scored], None] | None = None,
) -> list[Scored]:
    """Every case in one setting, `concurrency` requests at a time, rows in question order."""
    url = base_url.rstrip("/") + "/chat/completions"
    headers = {"Authorization": f"Bearer {api_key}"}
    gate = asyncio.Semaphore(concurrency)
    rows: list[Scored | None] = [None] * len(cases)

    async def one(position: int, case: Case, client: httpx.AsyncClient) -> None:
        async with gate:
            body = request_body(case, setting, model, max_tokens, passages, system)
            reply: Reply = await ask(client, url, body, headers)
        row = score_reply(case.question, case.gold, reply, evidence_file_ids(case.question, case.accession))
        rows[position] = row
        if on_row is not None:
            on_row(row)

    async with httpx.AsyncClient(timeout=httpx.Timeout(timeout_s, connect=10.0)) as client:
        await asyncio.gather(*(one(i, case, client) for i, case in enumerate(cases)))
    return [row for row in rows if row is not None]


async def first_model(base_url: str, api_key: str) -> str:
    """The first model the server lists."""
    async with httpx.AsyncClient(timeout=30.0) as client:
        response = await client.get(
            base_url.rstrip("/") + "/models", headers={"Authorization": f"Bearer {api_key}"}
        )
        response.raise_for_status()
        return str(response.json()["data"][0]["id"])


def summarise(setting: str, rows: list[Scored], started: float) -> dict[str, Any]:
    """A setting's aggregate with its wall time."""
    return {"setting": setting, "wall_s": round(time.perf_counter() - started, 1), **aggregate(rows)}
