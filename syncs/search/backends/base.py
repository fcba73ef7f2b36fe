from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from django.db import connection

from syncs.search.query import ParsedQuery

PAGE = " ORDER BY score DESC, c.id LIMIT %s OFFSET %s"


class KeywordBackend(ABC):
    """Ranks a collection's chunks against a query; best first, as (chunk id, score).

    A query's words must all match (web-search semantics), unless no chunk has them all: then
    any of them may match, and chunks that match more of them rank first. The choice depends
    on the query and filters only, so every page of one search uses the same one.
    """

    def search(
        self,
        *,
        collection_id,
        query: ParsedQuery,
        where: str = "",
        where_params: list[Any] | None = None,
        limit: int,
        offset: int = 0,
    ) -> list[tuple[int, float]]:
        if query.is_empty:
            return []
        arguments = {
            "collection_id": collection_id,
            "query": query,
            "where": where,
            "where_params": where_params or [],
        }
        match_all = len(query.positive) == 1 or self._any_match_all(**arguments)
        sql, params = self.sql(**arguments, match_all=match_all, limit=limit, offset=offset)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [(row[0], float(row[1])) for row in cursor.fetchall()]

    def _any_match_all(self, **arguments) -> bool:
        sql, params = self.sql(**arguments, match_all=True, limit=1, offset=0, ranked=False)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone() is not None

    @abstractmethod
    def sql(
        self,
        *,
        collection_id,
        query: ParsedQuery,
        where: str,
        where_params: list[Any],
        match_all: bool,
        limit: int,
        offset: int,
        ranked: bool = True,
    ) -> tuple[str, list[Any]]:
        """The query selecting (chunk id, score), best first; unranked, it selects ids only."""

    @staticmethod
    def collection_value(collection_id) -> Any:
        # UUIDs are 32 hex digits in SQLite, native on PostgreSQL.
        return collection_id if connection.vendor == "postgresql" else collection_id.hex

    @staticmethod
    def entity_join(where: str) -> str:
        return " JOIN syncs_entity e ON e.id = c.entity_id" if where else ""
