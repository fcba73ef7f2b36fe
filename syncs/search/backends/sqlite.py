"""SQLite: the FTS5 table ``syncs_searchchunk_fts`` (porter stemming), ranked by ``bm25``.

Each part is a quoted FTS5 string (a phrase when it has several words); parts are AND-ed (or
OR-ed, see ``KeywordBackend``) and exclusions NOT-ed. ``bm25`` weighs the name column as
PostgreSQL weighs A against B.
"""

from __future__ import annotations

from syncs.search.backends.base import KeywordBackend
from syncs.search.query import STOP_WORDS, ParsedQuery, QueryPart

NAME_WEIGHT, TEXT_WEIGHT = 2.5, 1.0


class SqliteKeywordBackend(KeywordBackend):
    def matches(self, *, collection_id, query, where, where_params, match_all, depth):
        score = f"-bm25(syncs_searchchunk_fts, {NAME_WEIGHT}, {TEXT_WEIGHT})"
        sql = (
            f"SELECT c.id AS id, {score} AS score FROM syncs_searchchunk_fts "
            # CROSS JOIN keeps SQLite from driving the search by the collection index.
            "CROSS JOIN syncs_searchchunk c ON c.id = syncs_searchchunk_fts.rowid"
            f"{self.entity_join(where)} "
            "WHERE syncs_searchchunk_fts MATCH %s AND c.collection_id = %s"
            + (f" AND {where}" if where else "")
        )
        params = [
            fts5_expression(query, match_all),
            self.collection_value(collection_id),
            *where_params,
        ]
        return sql, params


def fts5_expression(query: ParsedQuery, match_all: bool = True) -> str:
    joiner = " AND " if match_all else " OR "
    expression = joiner.join(_quoted(part) for part in query.positive)
    if query.negative:
        expression = f"({expression})" + "".join(f" NOT {_quoted(part)}" for part in query.negative)
    return expression


def _quoted(part: QueryPart) -> str:
    words = part.words if part.phrase else [w for w in part.words if w not in STOP_WORDS]
    return '"' + " ".join(words).replace('"', '""') + '"'
