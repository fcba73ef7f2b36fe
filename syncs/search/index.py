"""Keep the search index in step with entities: chunk, embed and store, or remove.

Subscribed to the sync engine's hooks (``syncs.indexing``), so the index changes in the same
transaction and batch as the entities it describes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import Error, connection, transaction

from connections.models import Collection, SourceConnection
from syncs import bulk, indexing
from syncs.indexing import WrittenEntity
from syncs.models import Entity, SearchChunk
from syncs.search.chunking import split_text
from syncs.search.embedders import get_embedder

REINDEX_BATCH = 500
# The GIN index of ``search_vector`` on PostgreSQL (migration 0003).
FULL_TEXT_INDEX = "chunk_search_vector"

logger = logging.getLogger(__name__)


CHUNK_COLUMNS = ("entity_id", "collection_id", "chunk_index", "name", "text", "embedding")


@indexing.on_entities_written
def index_written(
    source_connection: SourceConnection,
    keys: list[tuple[str, str]],
    written: list[WrittenEntity] | None = None,
) -> None:
    """Re-chunk the entities of a connection that were written (as the engine wrote them)."""
    if written is None:
        index_entities(_entities_by_key(source_connection, keys))
        return
    remove_entities([entity.pk for entity in written if not entity.is_new])
    write_chunks(written)


@indexing.on_entities_deleting
def remove_deleting(entity_pks: list[int]) -> None:
    """Drop the chunks of entities about to be deleted (the engine deletes them raw)."""
    remove_entities(entity_pks)


@indexing.on_run_ended
def merge_pending_entries() -> None:
    """On PostgreSQL, move the full-text index's pending entries into the index proper.

    A GIN index takes new rows into a pending list first (``fastupdate``), and every search
    reads that list in full until it reaches ``gin_pending_list_limit`` (4 MB) or autovacuum
    merges it. Right after a sync that made a query at 100,000 entities take 2-3 ms instead of
    0.4; merging once at the end of a run does now the work autovacuum would do later.
    """
    if connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [FULL_TEXT_INDEX])
    except Error as error:
        # Only speed is at stake: autovacuum merges the list later.
        logger.warning("Could not merge the full-text index's pending entries: %s", error)


def index_entities(entities: list[Entity]) -> int:
    """Replace the chunks of these entities; returns how many chunks were written."""
    if not entities:
        return 0
    remove_entities([entity.pk for entity in entities])
    return write_chunks(
        [WrittenEntity(e.pk, e.collection_id, e.name, e.text, False) for e in entities]
    )


def write_chunks(entities: list[WrittenEntity]) -> int:
    """Chunk, embed and insert, in one bulk write; the entities have no chunks left."""
    as_uuid = bulk.uuid_adapter()
    chunks = [
        [entity.pk, as_uuid(entity.collection_id), index, entity.name, text, None]
        for entity in entities
        for index, text in enumerate(split_text(entity.text))
    ]
    _embed(chunks)
    bulk.insert(SearchChunk._meta.db_table, CHUNK_COLUMNS, chunks)
    return len(chunks)


def remove_entities(entity_pks: Iterable[int]) -> None:
    pks = list(entity_pks)
    if pks:
        chunks = SearchChunk.objects.filter(entity_id__in=pks)
        chunks._raw_delete(chunks.db)


def reindex_collection(collection: Collection) -> int:
    """Rebuild a collection's chunks (and vectors) from its entities; returns the chunk count."""
    total = 0
    last_pk = 0
    entities = Entity.objects.filter(collection=collection).only(
        "id", "collection_id", "name", "text"
    )
    while batch := list(entities.filter(pk__gt=last_pk).order_by("pk")[:REINDEX_BATCH]):
        total += index_entities(batch)
        last_pk = batch[-1].pk
    return total


def _entities_by_key(
    source_connection: SourceConnection, keys: list[tuple[str, str]]
) -> list[Entity]:
    by_type: dict[str, list[str]] = {}
    for entity_type, entity_id in keys:
        by_type.setdefault(entity_type, []).append(entity_id)
    # One query per type: an OR of the types made SQLite scan all of the connection's rows.
    entities = Entity.objects.filter(source_connection=source_connection)
    return [
        entity
        for entity_type, ids in by_type.items()
        for entity in entities.filter(entity_type=entity_type, entity_id__in=ids).only(
            "id", "collection_id", "name", "text"
        )
    ]


def _embed(chunks: list[list]) -> None:
    """Fill each chunk row's embedding, when an embedder is configured."""
    embedder = get_embedder()
    if embedder is None or not chunks:
        return
    vectors = embedder.embed_documents([_embedding_text(row[3], row[4]) for row in chunks])
    for row, vector in zip(chunks, vectors, strict=True):
        row[5] = vector.astype("<f4").tobytes()


def _embedding_text(name: str, text: str) -> str:
    # The name gives a body chunk its context, as it does in the keyword index.
    return f"{name}\n\n{text}" if name else text
