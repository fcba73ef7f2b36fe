"""The sync engine's raw write path: rows as tuples, written the fastest way each database has.

The ORM's ``bulk_create`` spends most of a first sync building model instances and preparing
every value through its field (about ten Python calls per value). Here the engine hands over
tuples already in the database's own representation and they go through ``COPY`` on
PostgreSQL and one ``executemany`` on SQLite, the same paths the benchmark's "physical limit"
uses. Callers run inside ``transaction.atomic()``; only PostgreSQL and SQLite are supported (as
for the search index, see migration ``syncs.0003``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import connection

Row = Sequence[Any]


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def uuid_adapter() -> Callable[[uuid.UUID | None], Any]:
    """UUIDs as the database stores them: native on PostgreSQL, 32 hex digits on SQLite."""
    if is_postgresql():
        return lambda value: value
    return lambda value: None if value is None else value.hex


def datetime_adapter() -> Callable[[datetime | None], Any]:
    """Aware datetimes as the database stores them (SQLite: naive UTC text, as Django writes)."""
    if is_postgresql():
        return lambda value: value
    if connection.timezone_name != "UTC" or not settings.USE_TZ:
        return connection.ops.adapt_datetimefield_value
    return _sqlite_utc_text


def _sqlite_utc_text(value: datetime | None) -> str | None:
    # What Django's adapt_datetimefield_value gives with a UTC connection, at a third the cost.
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return str(value)


def json_placeholder() -> str:
    # psycopg sends str parameters untyped; jsonb columns need the cast in an UPDATE.
    return "%s::jsonb" if is_postgresql() else "%s"


def insert(table: str, columns: Sequence[str], rows: list[Row]) -> None:
    """Insert ``rows`` (values in ``columns`` order) with one COPY or one executemany."""
    if not rows:
        return
    names = ", ".join(columns)
    if is_postgresql():
        connection.ensure_connection()
        copy_sql = f"COPY {table} ({names}) FROM STDIN"
        with connection.connection.cursor() as cursor, cursor.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row(row)
        return
    placeholders = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", rows)


def insert_returning_ids(table: str, columns: Sequence[str], rows: list[Row]) -> list[int]:
    """Insert ``rows`` and return their new ids, in order, without reading the rows back.

    PostgreSQL: the ids are drawn from the table's sequence first and copied in with the rows.
    SQLite: one writer holds the database lock for the whole transaction, so the rows of one
    executemany get consecutive ids ending at ``last_insert_rowid()``.
    """
    if not rows:
        return []
    if is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT nextval(pg_get_serial_sequence('{table}', 'id'))"
                " FROM generate_series(1, %s)",
                [len(rows)],
            )
            ids = [row[0] for row in cursor.fetchall()]
        insert(table, ["id", *columns], [(pk, *row) for pk, row in zip(ids, rows, strict=True)])
        return ids
    insert(table, columns, rows)
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_insert_rowid()")
        last = cursor.fetchone()[0]
    return list(range(last - len(rows) + 1, last + 1))


def update_by_id(table: str, assignments: Sequence[str], rows: list[Row]) -> None:
    """``UPDATE table SET <assignments> WHERE id = ...`` once per row; each row ends with its id.

    ``assignments`` are ``column = placeholder`` strings (see ``json_placeholder``).
    """
    if not rows:
        return
    sql = f"UPDATE {table} SET {', '.join(assignments)} WHERE id = %s"
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def refresh_statistics(tables: Sequence[str]) -> None:
    """Have PostgreSQL re-read the tables' statistics now rather than at autovacuum's leisure.

    Its planner, still believing a connection has a handful of rows right after a big first
    sync, filtered every row of the connection per batch instead of seeking the unique index.
    """
    if is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {', '.join(tables)}")
