from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from django.db import connection

from syncs.search.query import ParsedQuery

ORDERED = " ORDER BY score DESC, id"
PAGE = ORDERED + " LIMIT %s OFFSET %s"


class KeywordBackend(ABC):
    """Ranks a collection's chunks against a query; best first, as (chunk id, score).

    A query's words must all match (web-search semantics), unless no chunk has them all: then
    any of them may match, and chunks that match more of them rank first. The choice depends
    on the query and filters only, so every page of one search uses the same one. It is made
    inside one statement: the chunks matching every word are gathered once, and the any-word
    branch runs only when there are none.
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
        sql, params = self.ranked_sql(
            collection_id=collection_id,
            query=query,
            where=where,
            where_params=where_params or [],
            limit=limit,
            offset=offset,
        )
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id, score FROM ({sql}) AS page{ORDERED}", params)
            return [(row[0], float(row[1])) for row in cursor.fetchall()]

    def ranked_sql(
        self,
        *,
        collection_id,
        query: ParsedQuery,
        where: str,
        where_params: list[Any],
        limit: int,
        offset: int,
    ) -> tuple[str, list[Any]]:
        """One statement selecting ``id`` and ``score`` of one page (in no particular order)."""
        arguments = {
            "collection_id": collection_id,
            "query": query,
            "where": where,
            "where_params": where_params,
            "depth": offset + limit,
        }
        every, every_params = self.matches(**arguments, match_all=True)
        if len(query.positive) == 1:
            return every + PAGE, [*every_params, limit, offset]
        some, some_params = self.matches(**arguments, match_all=False)
        # every_word is read twice, so both engines materialise it (gathered once). The any-word
        # branch has no rows when some chunk has every word: as its LIMIT (not a WHERE
        # condition) both engines skip that branch's scan; SQLite would scan and discard.
        sql = (
            f"WITH every_word AS ({every}) "
            f"SELECT id, score FROM (SELECT id, score FROM every_word{PAGE}) AS strict "
            f"UNION ALL SELECT id, score FROM ({some}{ORDERED} "
            "LIMIT CASE WHEN EXISTS (SELECT 1 FROM every_word) THEN 0 ELSE %s END OFFSET %s"
            ") AS loose"
        )
        return sql, [*every_params, limit, offset, *some_params, limit, offset]

    @abstractmethod
    def matches(
        self,
        *,
        collection_id,
        query: ParsedQuery,
        where: str,
        where_params: list[Any],
        match_all: bool,
        depth: int,
    ) -> tuple[str, list[Any]]:
        """``SELECT ... AS id, <score> AS score FROM ... WHERE ...`` over the matching chunks.

        The caller keeps the best ``depth`` by score; a backend may leave out chunks that
        cannot be among them.
        """

    @staticmethod
    def collection_value(collection_id) -> Any:
        # UUIDs are 32 hex digits in SQLite, native on PostgreSQL.
        return collection_id if connection.vendor == "postgresql" else collection_id.hex

    @staticmethod
    def entity_join(where: str) -> str:
        return " JOIN syncs_entity e ON e.id = c.entity_id" if where else ""
