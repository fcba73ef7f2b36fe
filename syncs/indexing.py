"""The engine's hooks into the search index, called in the same batches that write entities.

The search index (chunks and full-text rows) subscribes here so that search reflects a job's
progress while it runs and deleted entities leave results at once.
"""

from __future__ import annotations

from collections.abc import Callable

from connections.models import SourceConnection

_written: list[Callable[[SourceConnection, list[tuple[str, str]]], None]] = []
_deleting: list[Callable[[list[int]], None]] = []


def on_entities_written(handler: Callable[[SourceConnection, list[tuple[str, str]]], None]):
    _written.append(handler)
    return handler


def on_entities_deleting(handler: Callable[[list[int]], None]):
    _deleting.append(handler)
    return handler


def entities_written(source_connection: SourceConnection, keys: list[tuple[str, str]]) -> None:
    """Entities (entity_type, entity_id) of this connection were inserted or changed."""
    for handler in _written:
        handler(source_connection, keys)


def entities_deleting(entity_pks: list[int]) -> None:
    """These Entity rows are about to be deleted."""
    for handler in _deleting:
        handler(entity_pks)
