"""What one search looks for: the text, the filter and the Items to rank first, from a whole conversation.

Clients send a filter, a question, and often earlier turns. The plan combines them:
- a client filter is ANDed with what the question implies about the keys it leaves open (a ticker filter
  still gets the fiscal year the question names), never replaced by it;
- a follow-up turn inherits the companies, year, form and named Items of the earlier turns it leaves open,
  and an elliptical one ("What about Microsoft?", "And the year before?") also the earlier question's topic;
- a question naming a company but no period gets that company's latest annual report (recency default).
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from retriever.filters import Filter, all_of, filter_keys, parse_filter, required_values, to_dict
from retriever.query_analysis import QueryAnalysis, QueryScope, filter_for

# An elliptical follow-up carries at most this much of the earlier topic into the search text.
_MAX_TOPIC_CHARS = 600


@dataclass(frozen=True)
class SearchPlan:
    """The query text, the effective filter and the Items a search ranks first."""

    query: str
    filter: Filter | None
    inferred: Filter | None = None
    items: tuple[str, ...] = ()
    analysis: QueryAnalysis | None = None
    carried: tuple[str, ...] = field(default_factory=tuple)

    def describe(self) -> dict[str, Any]:
        """JSON for responses: what was searched, so a client can see which filing answered and why."""
        return {
            "query": self.query,
            "filters": to_dict(self.filter) if self.filter is not None else None,
            "inferred_filters": to_dict(self.inferred) if self.inferred is not None else None,
            "items": list(self.items),
            "carried_from_conversation": list(self.carried),
        }


def conversation_analysis(scope: QueryScope, turns: Sequence[str]) -> tuple[QueryAnalysis, str, list[str]]:
    """The last turn's analysis with what it leaves open filled from earlier turns, the search text, and
    which fields were carried over."""
    merged: QueryAnalysis | None = None
    topic = ""
    carried: list[str] = []
    for text in turns:
        current = scope.analyzer.analyze(text)
        if merged is None:
            merged, topic = replace(current, relative_year=None), text
            continue
        carried = []
        tickers = current.tickers
        if not tickers and merged.tickers:
            tickers, carried = merged.tickers, [*carried, "companies"]
        year, report_year = current.fiscal_year, current.report_year
        if year is None and current.relative_year is not None and merged.fiscal_year is not None:
            year, carried = merged.fiscal_year + current.relative_year, [*carried, "fiscal_year"]
        elif year is None and current.quarter is None and merged.fiscal_year is not None:
            year, report_year, carried = merged.fiscal_year, merged.report_year, [*carried, "fiscal_year"]
        form = current.form or merged.form
        items = current.items or (merged.items if current.elliptical else ())
        if current.elliptical:
            earlier = topic
            if current.tickers and set(current.tickers) != set(merged.tickers):
                earlier = _without_names(scope, earlier)
            topic = f"{earlier[-_MAX_TOPIC_CHARS:]} {text}".strip()
            carried.append("topic")
        else:
            topic = text
        merged = replace(
            current,
            tickers=tickers,
            fiscal_year=year,
            report_year=report_year,
            form=form,
            items=items,
            relative_year=None,
        )
    assert merged is not None, "a conversation has at least one turn"
    return merged, topic, carried


def _without_names(scope: QueryScope, text: str) -> str:
    """The text with issuer names blanked, so an earlier company's name does not pull the search back."""
    for start, end in sorted(scope.analyzer.name_spans(text), reverse=True):
        text = text[:start] + text[end:]
    return re.sub(r"\s{2,}", " ", text).strip()


def plan_search(
    scope: QueryScope,
    turns: Sequence[str],
    explicit: Filter | None = None,
    *,
    infer: bool = True,
    recency: bool = True,
) -> SearchPlan:
    """The plan for a search on the last of `turns` (user messages, oldest first)."""
    if not turns:
        return SearchPlan("", explicit)
    if not infer:
        return SearchPlan(turns[-1], explicit)
    analysis, query, carried = conversation_analysis(scope, turns)
    keys = filter_keys(explicit)
    required = required_values(explicit, "ticker")
    tickers = [str(t) for t in required] if required is not None else None
    if "ticker" in keys and tickers is None:
        inferred = None  # tickers constrained in a way we cannot enumerate (ne, nin, or): leave it alone
    else:
        raw = filter_for(analysis, scope.catalog, fixed_keys=keys, tickers=tickers, recency=recency)
        inferred = parse_filter(raw) if raw is not None else None
    return SearchPlan(
        query=query,
        filter=all_of(explicit, inferred),
        inferred=inferred,
        items=analysis.items,
        analysis=analysis,
        carried=tuple(carried),
    )
