"""PostgreSQL: the stored, GIN-indexed ``search_vector`` (name weighted A, text B).

Each query part is ``websearch_to_tsquery('english', part)``; parts are AND-ed (or OR-ed, see
``KeywordBackend``) and exclusions AND-NOT-ed. The score is ``ts_rank_cd`` scaled into
[0, 1) plus the number of parts a chunk matches, so with OR the chunks that match more of the
query come first.
"""

from __future__ import annotations

from syncs.search.backends.base import KeywordBackend
from syncs.search.query import ParsedQuery, QueryPart

_PART = "websearch_to_tsquery('english', %s)"


class PostgresKeywordBackend(KeywordBackend):
    def matches(self, *, collection_id, query, where, where_params, match_all):
        tsquery, tsquery_params = self._tsquery(query, match_all)
        if match_all:
            matched, matched_params = f"{len(query.positive)}", []
        else:
            matched = " + ".join(f"(c.search_vector @@ {_PART})::int" for _ in query.positive)
            matched_params = [_text(part) for part in query.positive]
        score = f"{matched} + ts_rank_cd(c.search_vector, {tsquery}, 32)"
        sql = (
            f"SELECT c.id AS id, {score} AS score "
            f"FROM syncs_searchchunk c{self.entity_join(where)} "
            f"WHERE c.collection_id = %s AND c.search_vector @@ {tsquery}"
            + (f" AND {where}" if where else "")
        )
        params = [
            *matched_params,
            *tsquery_params,
            self.collection_value(collection_id),
            *tsquery_params,
            *where_params,
        ]
        return sql, params

    @staticmethod
    def _tsquery(query: ParsedQuery, match_all: bool) -> tuple[str, list[str]]:
        joiner = " && " if match_all else " || "
        sql = "(" + joiner.join([_PART] * len(query.positive)) + ")"
        for _ in query.negative:
            sql += f" && !!{_PART}"
        return f"({sql})", [_text(part) for part in (*query.positive, *query.negative)]


def _text(part: QueryPart) -> str:
    # websearch_to_tsquery reads quotes itself; a phrase stays a phrase.
    return f'"{part.text}"' if part.phrase else part.text
