"""The classic and agentic tiers, which put an LLM around instant search.

Classic: one LLM call plans query variations, filters and a strategy; the instant searches run
and their rankings are fused (RRF). Without an LLM, or when the plan fails, classic is an
instant hybrid search, so the tier always answers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from connections.exceptions import FieldInvalid, ServiceUnavailable
from connections.models import Collection
from syncs.search import llm
from syncs.search.embedders import get_embedder
from syncs.search.filters import FIELDS, OPERATORS, FilterGroups, parse_filter
from syncs.search.service import (
    HYBRID,
    SEMANTIC,
    STRATEGIES,
    SearchHit,
    load_hits,
    rank,
    reciprocal_rank_fusion,
    search_instant,
)

logger = logging.getLogger("weft.search")

MAX_VARIATIONS = 4

PLAN_PROMPT = f"""You plan searches over a collection of synced documents (files, tickets, \
pages, messages). Given the user's query, answer with one JSON object and nothing else:
{{"queries": ["2 to {MAX_VARIATIONS} short keyword queries that together find what the user \
wants, the best first"],
 "filter": null or a list of filter groups, only when the query clearly asks for a source, \
type or date range,
 "retrieval_strategy": "hybrid", "keyword" or "semantic"}}
A filter group is {{"conditions": [{{"field": F, "operator": O, "value": V}}]}}; conditions in \
a group are ANDed, groups are ORed. Fields: {", ".join(FIELDS)}. Operators: \
{", ".join(OPERATORS)}. Dates are ISO-8601 strings."""


@dataclass
class SearchPlan:
    queries: list[str]
    filters: FilterGroups
    retrieval_strategy: str


def search_classic(
    *, collection: Collection, query: str, filters: FilterGroups, limit: int, offset: int
) -> list[SearchHit]:
    plan = plan_search(query) if llm.is_configured() else None
    if plan is None:
        return search_instant(
            collection=collection,
            query=query,
            retrieval_strategy=HYBRID,
            filters=[filters],
            limit=limit,
            offset=offset,
        )
    ranked = _run_plan(collection, plan, filters, limit + offset)
    if not ranked and plan.filters:
        # The planner's own filter may be a guess that excludes everything: drop it.
        plan.filters = []
        ranked = _run_plan(collection, plan, filters, limit + offset)
    return load_hits(ranked[offset : offset + limit])


def plan_search(query: str) -> SearchPlan | None:
    """Ask the LLM for a plan; None (and a log line) when it fails."""
    try:
        reply = llm.chat(
            [{"role": "system", "content": PLAN_PROMPT}, {"role": "user", "content": query}]
        )
        return _plan_from(query, llm.json_object(reply.content))
    except llm.LLMError as error:
        logger.warning("Classic search planning failed, searching without a plan: %s", error)
        return None


def _plan_from(query: str, raw: dict) -> SearchPlan:
    queries = [query]
    for item in raw.get("queries") or []:
        if isinstance(item, str) and item.strip() and item.strip() not in queries:
            queries.append(item.strip()[:2000])
    try:
        filters = parse_filter(raw.get("filter"))
    except FieldInvalid as error:
        logger.info("Ignoring the planner's filter: %s", error)
        filters = []
    strategy = raw.get("retrieval_strategy")
    if strategy not in STRATEGIES or (strategy == SEMANTIC and get_embedder() is None):
        strategy = HYBRID
    return SearchPlan(queries[: MAX_VARIATIONS + 1], filters, strategy)


def _run_plan(collection, plan: SearchPlan, filters: FilterGroups, depth: int):
    rankings = [
        rank(
            collection=collection,
            query=text,
            retrieval_strategy=plan.retrieval_strategy,
            filters=[filters, plan.filters],
            limit=depth,
            offset=0,
        )
        for text in plan.queries
    ]
    return reciprocal_rank_fusion(rankings)


def agentic_run(
    *, collection: Collection, query: str, filters: FilterGroups, limit: int | None, thinking
):
    """An agent run, ready to be iterated (``events()``) or run to the end (``collect()``)."""
    if not llm.is_configured():
        raise ServiceUnavailable(llm.NOT_CONFIGURED)
    from syncs.search.agent import AgentRun

    return AgentRun(
        collection=collection, query=query, filters=filters, limit=limit, thinking=thinking
    )
