"""How a labelled question is searched: the filter policy, and the plan the gateway would make for it."""

from retriever.filters import parse_filter
from retriever.index import SearchIndex
from retriever.search_plan import SearchPlan, plan_search

from benchmarks.rerank.labelled import Labelled

INFERRED = "inferred"  # the gateway's default: filter, year and Items from the question
INFERRED_NO_RECENCY = "inferred, no recency default"  # the same, a question with no period searches all years
NO_FILTER = "none"  # no filter at all; the question's companies and years only reach the reranker's features
ORACLE = "oracle"  # company (and fiscal year) of the evidence document
POLICIES = (INFERRED, INFERRED_NO_RECENCY, NO_FILTER, ORACLE)


def plan_for(index: SearchIndex, question: Labelled, policy: str) -> SearchPlan:
    """The search plan of one question under a filter policy."""
    if policy == INFERRED:
        return index.plan([question.question])
    if policy == INFERRED_NO_RECENCY:
        return plan_search(index.scope, [question.question], recency=False)
    analysis = index.scope.analyzer.analyze(question.question)
    if policy == ORACLE:
        return SearchPlan(question.question, parse_filter(question.oracle), None, analysis.items, analysis)
    return SearchPlan(question.question, None, None, analysis.items, analysis)
