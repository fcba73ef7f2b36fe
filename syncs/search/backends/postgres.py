"""PostgreSQL: the stored, GIN-indexed ``search_vector`` (name weighted A, text B).

Each query part becomes ``websearch_to_tsquery('english', part)``; the parts are OR-ed and the
exclusions AND-NOT-ed. The score is the number of parts a chunk matches plus its
``ts_rank_cd`` scaled into [0, 1), so chunks that match more of the query come first.
"""

from __future__ import annotations

from typing import Any

from syncs.search.backends.base import KeywordBackend
from syncs.search.query import ParsedQuery

_PART = "websearch_to_tsquery('english', %s)"


class PostgresKeywordBackend(KeywordBackend):
    def sql(self, *, collection_id, query, where, where_params, limit, offset):
        tsquery, tsquery_params = self._tsquery(query)
        matched = " + ".join(f"(c.search_vector @@ {_PART})::int" for _ in query.positive)
        score = f"{matched} + ts_rank_cd(c.search_vector, {tsquery}, 32)"
        sql = (
            f"SELECT c.id, {score} AS score FROM syncs_searchchunk c{self.entity_join(where)} "
            f"WHERE c.collection_id = %s AND c.search_vector @@ {tsquery}"
            + (f" AND {where}" if where else "")
            + " ORDER BY score DESC, c.id LIMIT %s OFFSET %s"
        )
        params: list[Any] = [
            *[_text(part) for part in query.positive],
            *tsquery_params,
            self.collection_value(collection_id),
            *tsquery_params,
            *where_params,
            limit,
            offset,
        ]
        return sql, params

    @staticmethod
    def _tsquery(query: ParsedQuery) -> tuple[str, list[str]]:
        positive = " || ".join([_PART] * len(query.positive))
        sql = f"({positive})"
        for _ in query.negative:
            sql += f" && !!{_PART}"
        return f"({sql})", [_text(part) for part in (*query.positive, *query.negative)]


def _text(part) -> str:
    # websearch_to_tsquery reads quotes itself; a phrase stays a phrase.
    return f'"{part.text}"' if part.phrase else part.text
