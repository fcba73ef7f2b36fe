"""The engine's hooks into the search index, called in the same batches that write entities.

The search index (chunks and full-text rows) subscribes here so that search reflects a job's
progress while it runs and deleted entities leave results at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import NamedTuple

from connections.models import SourceConnection


class WrittenEntity(NamedTuple):
    """What the index needs of an entity the engine just wrote, so it reads nothing back."""

    pk: int
    collection_id: uuid.UUID
    name: str
    text: str
    # A new row has no chunks yet: there is nothing to remove first.
    is_new: bool


WrittenHandler = Callable[
    [SourceConnection, list[tuple[str, str]], list[WrittenEntity] | None], None
]

_written: list[WrittenHandler] = []
_deleting: list[Callable[[list[int]], None]] = []
_run_ended: list[Callable[[], None]] = []


def on_entities_written(handler: WrittenHandler) -> WrittenHandler:
    _written.append(handler)
    return handler


def on_entities_deleting(handler: Callable[[list[int]], None]):
    _deleting.append(handler)
    return handler


def on_run_ended(handler: Callable[[], None]) -> Callable[[], None]:
    _run_ended.append(handler)
    return handler


def entities_written(
    source_connection: SourceConnection,
    keys: list[tuple[str, str]],
    written: list[WrittenEntity] | None = None,
) -> None:
    """Entities (entity_type, entity_id) of this connection were inserted or changed.

    The engine passes ``written`` (the rows as it wrote them); other callers pass the keys
    alone and the handlers read the rows.
    """
    for handler in _written:
        handler(source_connection, keys, written)


def entities_deleting(entity_pks: list[int]) -> None:
    """These Entity rows are about to be deleted."""
    for handler in _deleting:
        handler(entity_pks)


def run_ended() -> None:
    """A run stopped writing (whatever its outcome): a moment for the index to tidy up."""
    for handler in _run_ended:
        handler()
