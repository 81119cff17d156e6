"""Which 10-K Items a question names ("according to its MD&A", "in its risk factors", "Item 7A").

A question that names a section wants passages from it: search ranks that Item's chunks first. The lexicon
(`item_terms.csv`) holds each Item's official title, its short forms and the statement names filed under
Item 8; it only holds phrases that name a section, never topics that many sections discuss.
"""

import csv
import re
from functools import cache
from importlib import resources


def _pattern(phrase: str) -> str:
    words = [re.escape(w).replace("'", "['\u2019]?") for w in phrase.split()]
    # "Item 1" must not match "Item 1A" or "Item 10"; a plural still counts ("balance sheets").
    return r"(?<![\w&])" + r"\s+".join(words) + r"(?:s|es)?(?![\w&])"


@cache
def _item_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    text = resources.files("retriever").joinpath("item_terms.csv").read_text(encoding="utf-8")
    phrases: dict[str, list[str]] = {}
    for row in csv.DictReader(text.splitlines()):
        phrases.setdefault(row["item"].upper(), []).append(row["phrase"])
    return tuple(
        (item, re.compile("|".join(_pattern(p) for p in sorted(ps, key=len, reverse=True)), re.IGNORECASE))
        for item, ps in phrases.items()
    )


def question_items(question: str) -> tuple[str, ...]:
    """Item codes ("7", "1A", ...) whose section the question names, in lexicon order."""
    return tuple(item for item, pattern in _item_patterns() if pattern.search(question))
