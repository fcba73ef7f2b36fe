"""The collection page's search: the page's filters as search filters, and results to show.

Calls ``syncs.search.service.search_instant``, the service the API and MCP server use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from connections.models import Collection
from syncs.search.filters import FilterGroups, parse_filter
from syncs.search.query import parse_query
from syncs.search.service import SearchHit, search_instant

RESULTS_SHOWN = 20
SNIPPET_CHARS = 280


@dataclass(frozen=True)
class SearchCriteria:
    query: str
    strategy: str = "hybrid"
    source: str = ""
    entity_type: str = ""
    updated_from: date | None = None
    updated_to: date | None = None

    def filter_conditions(self) -> list[dict]:
        conditions = []
        if self.source:
            conditions.append(_condition("airweave_system_metadata.source_name", self.source))
        if self.entity_type:
            conditions.append(_condition("airweave_system_metadata.entity_type", self.entity_type))
        if self.updated_from:
            conditions.append(
                _condition("updated_at", self.updated_from.isoformat(), "greater_than_or_equal")
            )
        if self.updated_to:
            # The whole last day counts: before the start of the next one.
            end = datetime.combine(self.updated_to, datetime.max.time()).isoformat()
            conditions.append(_condition("updated_at", end, "less_than_or_equal"))
        return conditions

    def filters(self) -> FilterGroups:
        conditions = self.filter_conditions()
        return parse_filter([{"conditions": conditions}]) if conditions else []


def _condition(field: str, value: str, operator: str = "equals") -> dict:
    return {"field": field, "operator": operator, "value": value}


@dataclass
class SearchResult:
    """One hit as the results list shows it."""

    hit: SearchHit
    snippet: SafeString

    @property
    def entity(self):
        return self.hit.entity

    @property
    def source_connection(self):
        return self.hit.source_connection

    @property
    def breadcrumbs(self) -> list[str]:
        return [str(crumb.get("name", "")) for crumb in self.entity.breadcrumbs or []]


def collection_search(*, collection: Collection, criteria: SearchCriteria) -> list[SearchResult]:
    """The best chunks of ``collection`` for the criteria; raises the search service's errors."""
    hits = search_instant(
        collection=collection,
        query=criteria.query,
        retrieval_strategy=criteria.strategy,
        filters=[criteria.filters()],
        limit=RESULTS_SHOWN,
    )
    words = _highlight_words(criteria.query)
    return [SearchResult(hit, highlight(hit.chunk.text, words)) for hit in hits]


def _highlight_words(query: str) -> list[str]:
    return sorted(
        {word for part in parse_query(query).positive for word in part.words}, key=len, reverse=True
    )


def highlight(text: str, words: list[str], length: int = SNIPPET_CHARS) -> SafeString:
    """An escaped window of ``text`` around the first word found, with the words in <mark>."""
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, words)) + r")", re.I) if words else None
    match = pattern.search(text) if pattern else None
    start = max(0, match.start() - length // 3) if match else 0
    window = text[start : start + length]
    prefix = "…" if start else ""
    suffix = "…" if start + length < len(text) else ""
    if pattern is None:
        return mark_safe(prefix + escape(window) + suffix)  # noqa: S308 - escaped above
    pieces = []
    position = 0
    for found in pattern.finditer(window):
        pieces.append(escape(window[position : found.start()]))
        pieces.append(f"<mark>{escape(found.group(0))}</mark>")
        position = found.end()
    pieces.append(escape(window[position:]))
    return mark_safe(prefix + "".join(pieces) + suffix)  # noqa: S308 - every piece escaped
