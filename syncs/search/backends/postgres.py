"""PostgreSQL: the stored, GIN-indexed ``search_vector`` (name weighted A, text B).

Each query part is ``websearch_to_tsquery('english', part)``; parts are AND-ed (or OR-ed, see
``KeywordBackend``) and exclusions AND-NOT-ed. The score is ``ts_rank_cd`` scaled into
[0, 1) plus the number of parts a chunk matches, so with OR the chunks that match more of the
query come first (and only the chunks that can reach the page are ranked).
"""

from __future__ import annotations

from syncs.search.backends.base import KeywordBackend
from syncs.search.query import ParsedQuery, QueryPart

_PART = "websearch_to_tsquery('english', %s)"


class PostgresKeywordBackend(KeywordBackend):
    def matches(self, *, collection_id, query, where, where_params, match_all, depth):
        tsquery, tsquery_params = self._tsquery(query, match_all)
        from_where = (
            f"FROM syncs_searchchunk c{self.entity_join(where)} "
            f"WHERE c.collection_id = %s AND c.search_vector @@ {tsquery}"
            + (f" AND {where}" if where else "")
        )
        filter_params = [self.collection_value(collection_id), *tsquery_params, *where_params]
        rank = f"ts_rank_cd(c.search_vector, {tsquery}, 32)"
        if match_all:
            sql = f"SELECT c.id AS id, {len(query.positive)} + {rank} AS score {from_where}"
            return sql, [*tsquery_params, *filter_params]
        # Any word may match: the score is the number of parts matched plus a rank below 1, so
        # the best ``depth`` chunks all match at least as many parts as the depth-th best does.
        # Counting parts is cheap; ts_rank_cd (most of the cost when thousands of chunks have
        # some word) runs only for the chunks that reach that count.
        matched = " + ".join(f"(c.search_vector @@ {_PART})::int" for _ in query.positive)
        matched_params = [_text(part) for part in query.positive]
        # The chosen ids go back in as an array, so the chunks are fetched by primary key; as a
        # join the planner guessed a third of the matches and read the whole table to merge.
        sql = (
            f"WITH counted AS (SELECT c.id, {matched} AS matched {from_where}) "
            f"SELECT c.id AS id, {matched} + {rank} AS score FROM syncs_searchchunk c "
            "WHERE c.id = ANY(ARRAY(SELECT id FROM counted WHERE matched >= COALESCE("
            "(SELECT matched FROM counted ORDER BY matched DESC LIMIT 1 OFFSET %s), 0)))"
        )
        params = [*matched_params, *filter_params, *matched_params, *tsquery_params, depth - 1]
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
