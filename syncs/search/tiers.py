"""The classic and agentic tiers, which put an LLM around instant search."""

from __future__ import annotations

from connections.exceptions import ServiceUnavailable
from connections.models import Collection
from syncs.search import llm
from syncs.search.filters import FilterGroups
from syncs.search.service import HYBRID, SearchHit, search_instant


def search_classic(
    *, collection: Collection, query: str, filters: FilterGroups, limit: int, offset: int
) -> list[SearchHit]:
    return search_instant(
        collection=collection,
        query=query,
        retrieval_strategy=HYBRID,
        filters=[filters],
        limit=limit,
        offset=offset,
    )


def agentic_run(*, collection: Collection, query: str, filters: FilterGroups, limit, thinking):
    if not llm.is_configured():
        raise ServiceUnavailable(llm.NOT_CONFIGURED)
    raise NotImplementedError
