"""Fixed prompt sets: questions over the 10-K corpus, read in place, sampled with a fixed seed."""

import csv
import json
import os
import random
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
FINANCIAL_QA = "eval/financial_qa_10k/financial_qa_10k_bigtech.csv"
FIXED_QUESTION = "What were the main risk factors Apple reported in its most recent 10-K?"


def shared_dir() -> Path:
    """``<repo>/../shared`` unless ``SHARED_DIR`` says otherwise."""
    return Path(os.environ.get("SHARED_DIR", REPO_ROOT.parent / "shared"))


def load_prompts(source: str, count: int, seed: int = 0) -> list[str]:
    """``count`` questions from ``fqa10k`` (financial_qa_10k), ``fixed`` or a .txt/.jsonl file."""
    if source == "fixed":
        return [FIXED_QUESTION] * count
    if source == "fqa10k":
        with (shared_dir() / FINANCIAL_QA).open(newline="", encoding="utf-8") as handle:
            questions = [row["question"] for row in csv.DictReader(handle)]
    else:
        questions = _read_file(Path(source))
    if not questions:
        raise ValueError(f"prompt source {source!r} holds no questions")
    rng = random.Random(seed)
    if count <= len(questions):
        return rng.sample(questions, count)
    return [rng.choice(questions) for _ in range(count)]


def _read_file(path: Path) -> list[str]:
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if path.suffix == ".jsonl":
        return [json.loads(line)["question"] for line in lines]
    return lines
