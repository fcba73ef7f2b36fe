from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from django.db import connection

from syncs.search.query import ParsedQuery


class KeywordBackend(ABC):
    """Ranks a collection's chunks against a query; best first, as (chunk id, score)."""

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
        sql, params = self.sql(
            collection_id=collection_id,
            query=query,
            where=where,
            where_params=where_params or [],
            limit=limit,
            offset=offset,
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [(row[0], float(row[1])) for row in cursor.fetchall()]

    @abstractmethod
    def sql(
        self,
        *,
        collection_id,
        query: ParsedQuery,
        where: str,
        where_params: list[Any],
        limit: int,
        offset: int,
    ) -> tuple[str, list[Any]]:
        """The ranking query and its parameters, selecting (chunk id, score)."""

    @staticmethod
    def collection_value(collection_id) -> Any:
        # UUIDs are 32 hex digits in SQLite, native on PostgreSQL.
        return collection_id if connection.vendor == "postgresql" else collection_id.hex

    @staticmethod
    def entity_join(where: str) -> str:
        return " JOIN syncs_entity e ON e.id = c.entity_id" if where else ""
