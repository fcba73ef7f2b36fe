"""Load the chunks of a ranking with what a result shows, in one lean query.

Either by chunk id (``load_chunks``, after a fusion of rankings), or joined to the ranking
statement itself (``ranked_page_sql``, one statement for a keyword page). Every search ends
here, so it skips the ORM's query compiler: one hand-written join selects only the columns a
result shows, and Django's own converters turn them into model instances (``Model.from_db``),
the chunk's entity, connection, sync and last job cached on them as ``select_related`` would.
Columns not selected are deferred, so reading one still works.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Model, signals
from django.db.models.base import ModelState
from django.db.models.expressions import Col

from connections.models import SourceConnection
from syncs.models import Entity, SearchChunk, Sync, SyncJob


@dataclass(frozen=True)
class _Part:
    """One model's share of the loading query's columns."""

    model: type[Model]
    alias: str
    attnames: tuple[str, ...]  # in the model's concrete field order, as from_db wants them
    columns: tuple[Col, ...]
    pk_index: int
    # Where a converter applies: (column index, column, converters); most columns have none.
    converting: tuple[tuple[int, Col, tuple[Callable, ...]], ...]

    @classmethod
    def build(cls, model: type[Model], alias: str, wanted: Sequence[str]) -> _Part:
        fields = [f for f in model._meta.concrete_fields if f.attname in wanted]
        columns = tuple(field.get_col(alias) for field in fields)
        converters = tuple(
            tuple(connection.ops.get_db_converters(col) + field.get_db_converters(connection))
            for field, col in zip(fields, columns, strict=True)
        )
        attnames = tuple(field.attname for field in fields)
        return cls(
            model,
            alias,
            attnames,
            columns,
            attnames.index(model._meta.pk.attname),
            tuple((i, columns[i], each) for i, each in enumerate(converters) if each),
        )

    @property
    def width(self) -> int:
        return len(self.attnames)

    def instance(self, values: Sequence[Any]) -> Model | None:
        if values[self.pk_index] is None:
            return None  # nothing joined: no sync, or no job yet
        converted = list(values)
        for index, column, converters in self.converting:
            for converter in converters:
                converted[index] = converter(converted[index], column, connection)
        if _has_init_signals(self.model):
            return self.model.from_db(connection.alias, self.attnames, converted)
        # What from_db builds, without Model.__init__'s walk over every field (a third of a
        # 100-result search's Python time): the values go straight into the instance's dict,
        # and the fields not selected stay deferred, as from_db leaves them.
        instance = self.model.__new__(self.model)
        instance.__dict__.update(zip(self.attnames, converted, strict=True))
        instance._state = ModelState()
        instance._state.adding = False
        instance._state.db = connection.alias
        return instance


def _has_init_signals(model: type[Model]) -> bool:
    """Whether anything listens to the model's pre_init or post_init (from_db sends both)."""
    return signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model)


_SHOWN = (
    (SearchChunk, "c", ("id", "entity_id", "chunk_index", "text")),
    (
        Entity,
        "e",
        (
            "id",
            "source_connection_id",
            "entity_id",
            "entity_type",
            "name",
            "breadcrumbs",
            "fields",
            "web_url",
            "url",
            "source_created_at",
            "source_updated_at",
            "last_sync_job_id",
            "synced_at",
        ),
    ),
    (SourceConnection, "sc", ("id", "short_name", "name")),
    (Sync, "s", ("id", "source_connection_id", "last_job_id")),
    (SyncJob, "j", ("id", "status")),
)

_RELATED = (
    f"JOIN {Entity._meta.db_table} e ON e.id = c.entity_id "
    f"JOIN {SourceConnection._meta.db_table} sc ON sc.id = e.source_connection_id "
    f"LEFT JOIN {Sync._meta.db_table} s ON s.source_connection_id = sc.id "
    f"LEFT JOIN {SyncJob._meta.db_table} j ON j.id = s.last_job_id"
)
_CHUNKS = SearchChunk._meta.db_table
# CROSS JOIN has SQLite walk the page and seek each chunk (PostgreSQL does so anyway).
_PAGE_JOIN = {"sqlite": "CROSS JOIN"}


@functools.cache
def _parts(vendor: str) -> tuple[tuple[_Part, ...], str]:
    """The columns per model with their converters (the ones the ORM applies), and their SQL."""
    parts = tuple(_Part.build(model, alias, wanted) for model, alias, wanted in _SHOWN)
    columns = [f"{part.alias}.{column.target.column}" for part in parts for column in part.columns]
    return parts, ", ".join(columns)


def load_chunks(chunk_ids: Sequence[int]) -> dict[int, SearchChunk]:
    """The chunks by id, with entity, source connection, sync and last job in their caches."""
    if not chunk_ids:
        return {}
    parts, columns = _parts(connection.vendor)
    placeholders = ", ".join(["%s"] * len(chunk_ids))
    sql = f"SELECT {columns} FROM {_CHUNKS} c {_RELATED} WHERE c.id IN ({placeholders})"
    chunks = _chunks(parts, sql, list(chunk_ids))
    return {chunk.pk: chunk for chunk, _ in chunks}


def ranked_page_sql(ranked_sql: str) -> str:
    """A ranking statement (``id``, ``score``) joined to what a result shows, best first."""
    _, columns = _parts(connection.vendor)
    return (
        f"SELECT {columns}, ranked.score FROM ({ranked_sql}) AS ranked "
        f"{_PAGE_JOIN.get(connection.vendor, 'JOIN')} {_CHUNKS} c ON c.id = ranked.id {_RELATED} "
        "ORDER BY ranked.score DESC, ranked.id"
    )


def load_page(page_sql: str, params: Sequence[Any]) -> list[tuple[SearchChunk, float | None]]:
    """Run a ``ranked_page_sql`` statement: (chunk, score), best first."""
    parts, _ = _parts(connection.vendor)
    return _chunks(parts, page_sql, params)


def _chunks(
    parts: tuple[_Part, ...], sql: str, params: Sequence[Any]
) -> list[tuple[SearchChunk, float | None]]:
    """Each row as (chunk, the score column if the statement has one)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    width = sum(part.width for part in parts)
    connections: dict = {}
    return [
        (_chunk(parts, row[:width], connections), float(row[width]) if len(row) > width else None)
        for row in rows
    ]


def _chunk(parts: tuple[_Part, ...], row: Sequence[Any], connections: dict) -> SearchChunk:
    """One row as a chunk; ``connections`` shares one connection, sync and job among rows."""
    chunk_part, entity_part, *connection_parts = parts
    chunk = chunk_part.instance(row[: chunk_part.width])
    start = chunk_part.width + entity_part.width
    entity = entity_part.instance(row[chunk_part.width : start])
    connection_values = tuple(row[start:])
    if connection_values not in connections:
        connections[connection_values] = _connection(connection_parts, connection_values)
    SearchChunk.entity.field.set_cached_value(chunk, entity)
    Entity.source_connection.field.set_cached_value(entity, connections[connection_values])
    return chunk


def _connection(parts: list[_Part], values: Sequence[Any]) -> SourceConnection:
    instances, start = [], 0
    for part in parts:
        instances.append(part.instance(values[start : start + part.width]))
        start += part.width
    source_connection, sync, job = instances
    # Cached even when missing, so reading it later answers None without a query.
    SourceConnection.sync.related.set_cached_value(source_connection, sync)
    if sync is not None:
        Sync.last_job.field.set_cached_value(sync, job)
    return source_connection
