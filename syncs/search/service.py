"""Instant search: retrieve a collection's best chunks for a query, with filters.

The API, the MCP server and the classic and agentic tiers all call ``search_instant``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection

from connections.exceptions import InvalidRequest
from connections.models import Collection
from syncs.models import SearchChunk, SyncJob
from syncs.search.backends import KeywordBackend, keyword_backend
from syncs.search.embedders import get_embedder
from syncs.search.filters import FilterGroups, compile_filters
from syncs.search.loading import load_chunks, load_page, ranked_page_sql
from syncs.search.query import parse_query

HYBRID, SEMANTIC, KEYWORD = "hybrid", "semantic", "keyword"
STRATEGIES = (HYBRID, SEMANTIC, KEYWORD)
RRF_K = 60

SEMANTIC_OFF = (
    "Semantic search needs an embedder, and none is configured. Install the optional "
    "packages (pip install -r requirements-embeddings.txt), set WEFT_EMBEDDER=minilm, and run "
    "`python manage.py search_reindex` to embed what is already synced."
)


@dataclass
class SearchHit:
    """One ranked chunk with its entity, connection and last job loaded."""

    chunk: SearchChunk
    score: float

    @property
    def entity(self):
        return self.chunk.entity

    @property
    def doc_id(self) -> str:
        return f"{self.entity.entity_id}__chunk_{self.chunk.chunk_index}"

    @property
    def source_connection(self):
        return self.entity.source_connection

    @property
    def sync(self):
        return getattr(self.source_connection, "sync", None)

    @property
    def last_sync_failed(self) -> bool:
        job = self.sync.last_job if self.sync else None
        return job is not None and job.status == SyncJob.Status.FAILED


def search_instant(
    *,
    collection: Collection,
    query: str,
    retrieval_strategy: str = HYBRID,
    filters: list[FilterGroups] | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[SearchHit]:
    """The page ``[offset, offset + limit)`` of the collection's chunks ranked for ``query``.

    ``filters`` are checked filters (``parse_filter``); all of them must hold. A keyword page
    is one statement, ranking and loading together (``keyword_page_sql``).
    """
    filters = filters or []
    if retrieval_strategy == KEYWORD or get_embedder() is None:
        check_strategy(retrieval_strategy)
        page = keyword_page_sql(
            collection=collection, query=query, filters=filters, limit=limit, offset=offset
        )
        if page is None:
            return []
        return [SearchHit(chunk, score) for chunk, score in load_page(*page)]
    ranked = rank(
        collection=collection,
        query=query,
        retrieval_strategy=retrieval_strategy,
        filters=filters,
        limit=limit,
        offset=offset,
    )
    return load_hits(ranked)


def check_strategy(retrieval_strategy: str) -> None:
    if retrieval_strategy == SEMANTIC and get_embedder() is None:
        raise InvalidRequest(SEMANTIC_OFF)


def keyword_page_sql(
    *, collection: Collection, query: str, filters: list[FilterGroups], limit: int, offset: int
) -> tuple[str, list[Any]] | None:
    """The statement of one keyword page (None when the query has no words to look for)."""
    parsed = parse_query(query)
    if parsed.is_empty:
        return None
    where, params = compile_filters(filters)
    ranked, ranked_params = keyword_backend().ranked_sql(
        collection_id=collection.pk,
        query=parsed,
        where=where,
        where_params=params,
        limit=limit,
        offset=offset,
    )
    return ranked_page_sql(ranked), ranked_params


def rank(
    *,
    collection: Collection,
    query: str,
    retrieval_strategy: str,
    filters: list[FilterGroups],
    limit: int,
    offset: int,
) -> list[tuple[int, float]]:
    """(chunk id, score) of one page, best first."""
    check_strategy(retrieval_strategy)
    embedder = get_embedder()
    where, params = compile_filters(filters)
    if retrieval_strategy == KEYWORD or embedder is None:
        return keyword_backend().search(
            collection_id=collection.pk,
            query=parse_query(query),
            where=where,
            where_params=params,
            limit=limit,
            offset=offset,
        )
    from syncs.search.vectors import semantic_search

    semantic = semantic_search(
        collection_id=collection.pk,
        query_vector=embedder.embed_query(query),
        where=where,
        where_params=params,
        limit=offset + limit,
    )
    if retrieval_strategy == SEMANTIC:
        return semantic[offset:]
    keyword = keyword_backend().search(
        collection_id=collection.pk,
        query=parse_query(query),
        where=where,
        where_params=params,
        limit=offset + limit,
    )
    return reciprocal_rank_fusion([keyword, semantic])[offset : offset + limit]


def reciprocal_rank_fusion(rankings: list[list[tuple[Any, float]]]) -> list[tuple[Any, float]]:
    """Fuse rankings: each item scores the sum of 1 / (RRF_K + rank) over the lists it is in."""
    scores: dict[Any, float] = {}
    for ranking in rankings:
        for position, (item, _) in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (RRF_K + position)
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))


def count_chunks(*, collection: Collection, filters: list[FilterGroups]) -> int:
    """How many of the collection's chunks pass the filters."""
    where, params = compile_filters(filters)
    sql = (
        "SELECT COUNT(*) FROM syncs_searchchunk c JOIN syncs_entity e ON e.id = c.entity_id "
        "WHERE c.collection_id = %s" + (f" AND {where}" if where else "")
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [KeywordBackend.collection_value(collection.pk), *params])
        return cursor.fetchone()[0]


def load_hits(ranked: list[tuple[int, float]]) -> list[SearchHit]:
    """The chunks of a ranking with what a result shows, in one query."""
    chunks = load_chunks([chunk_id for chunk_id, _ in ranked])
    # A chunk deleted between ranking and loading simply drops out.
    return [SearchHit(chunks[cid], score) for cid, score in ranked if cid in chunks]
