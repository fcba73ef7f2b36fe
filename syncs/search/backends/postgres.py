"""PostgreSQL: the stored, GIN-indexed ``search_vector`` (name weighted A, text B).

Each query part is ``websearch_to_tsquery('english', part)``; parts are AND-ed (or OR-ed, see
``KeywordBackend``) and exclusions AND-NOT-ed. The score is ``ts_rank_cd`` scaled into
[0, 1) plus the number of parts a chunk matches, so with OR the chunks that match more of the
query come first (and only the chunks that can reach the page are ranked).
"""

from __future__ import annotations

import itertools
from typing import Any

from syncs.search.backends.base import KeywordBackend
from syncs.search.query import ParsedQuery, QueryPart

_PART = "websearch_to_tsquery('english', %s)"
# Up to this many parts (66 pairs), the any-word ranking first looks for chunks with two parts.
PAIR_STAGE_MAX_PARTS = 12


class PostgresKeywordBackend(KeywordBackend):
    def matches(self, *, collection_id, query, where, where_params, match_all, depth):
        tsquery, tsquery_params = self._tsquery(query, match_all)
        rank = f"ts_rank_cd(c.search_vector, {tsquery}, 32)"
        if match_all:
            from_where, filter_params = self._from_where(
                tsquery, tsquery_params, collection_id, where, where_params
            )
            sql = f"SELECT c.id AS id, {len(query.positive)} + {rank} AS score {from_where}"
            return sql, [*tsquery_params, *filter_params]
        # Any word may match: the score is the number of parts matched plus a rank below 1, so
        # the best ``depth`` chunks all match at least as many parts as the depth-th best does.
        # Counting parts is cheap; ts_rank_cd (most of the cost when thousands of chunks have
        # some word) runs only for the chunks that reach that count, fetched by primary key
        # from an id array (as a join, the planner guessed a third of the matches and read the
        # whole table to merge).
        matched = " + ".join(f"(c.search_vector @@ {_PART})::int" for _ in query.positive)
        matched_params = [_text(part) for part in query.positive]
        counted, counted_params = self._counted(
            f"SELECT c.id, {matched} AS matched",
            matched_params,
            query=query,
            any_word=(tsquery, tsquery_params),
            depth=depth,
            filters=(collection_id, where, where_params),
        )
        sql = (
            f"WITH {counted} "
            f"SELECT c.id AS id, {matched} + {rank} AS score FROM syncs_searchchunk c "
            "WHERE c.id = ANY(ARRAY(SELECT id FROM counted WHERE matched >= COALESCE("
            "(SELECT matched FROM counted ORDER BY matched DESC LIMIT 1 OFFSET %s), 0)))"
        )
        return sql, [*counted_params, *matched_params, *tsquery_params, depth - 1]

    def _counted(
        self,
        select: str,
        select_params: list[str],
        *,
        query: ParsedQuery,
        any_word: tuple[str, list[str]],
        depth: int,
        filters: tuple,
    ) -> tuple[str, list[Any]]:
        """The ``counted`` CTE: (id, parts matched) of the chunks that may reach the page.

        When ``depth`` chunks have two of the words or more, the page holds only such chunks,
        and the index finds them (an OR of word pairs) without reading the chunks that have a
        single word, most of the matches when a word is common. Otherwise, every match.
        """
        from_where, filter_params = self._from_where(*any_word, *filters)
        every_match = f"{select} {from_where}"
        if not 2 < len(query.positive) <= PAIR_STAGE_MAX_PARTS:
            return f"counted AS ({every_match})", [*select_params, *filter_params]
        pairs_from_where, pairs_params = self._from_where(*self._pairs_tsquery(query), *filters)
        sql = (
            f"pairs AS ({select} {pairs_from_where}), "
            "counted AS (SELECT id, matched FROM pairs WHERE (SELECT count(*) FROM pairs) >= %s "
            f"UNION ALL {every_match} AND (SELECT count(*) FROM pairs) < %s)"
        )
        params = [*select_params, *pairs_params, depth, *select_params, *filter_params, depth]
        return sql, params

    def _from_where(
        self, tsquery: str, tsquery_params: list[str], collection_id, where: str, where_params
    ) -> tuple[str, list[Any]]:
        """``FROM ... WHERE ...``: the collection's chunks matching ``tsquery`` and the filters."""
        sql = (
            f"FROM syncs_searchchunk c{self.entity_join(where)} "
            f"WHERE c.collection_id = %s AND c.search_vector @@ {tsquery}"
            + (f" AND {where}" if where else "")
        )
        return sql, [self.collection_value(collection_id), *tsquery_params, *where_params]

    @staticmethod
    def _pairs_tsquery(query: ParsedQuery) -> tuple[str, list[str]]:
        """Two of the positive parts, any two; and none of the exclusions."""
        texts = [_text(part) for part in query.positive]
        pairs = list(itertools.combinations(texts, 2))
        sql = "(" + " || ".join(f"({_PART} && {_PART})" for _ in pairs) + ")"
        for _ in query.negative:
            sql += f" && !!{_PART}"
        params = [text for pair in pairs for text in pair]
        return f"({sql})", [*params, *(_text(part) for part in query.negative)]

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
