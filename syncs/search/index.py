"""Keep the search index in step with entities: chunk, embed and store, or remove.

Subscribed to the sync engine's hooks (``syncs.indexing``), so the index changes in the same
transaction and batch as the entities it describes.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q

from connections.models import Collection, SourceConnection
from syncs import indexing
from syncs.models import Entity, SearchChunk
from syncs.search.chunking import split_text
from syncs.search.embedders import get_embedder

REINDEX_BATCH = 500


@indexing.on_entities_written
def index_written(source_connection: SourceConnection, keys: list[tuple[str, str]]) -> None:
    """Re-chunk the entities (entity_type, entity_id) of a connection that were written."""
    index_entities(_entities_by_key(source_connection, keys))


@indexing.on_entities_deleting
def remove_deleting(entity_pks: list[int]) -> None:
    """Drop the chunks of entities about to be deleted (the engine deletes them raw)."""
    remove_entities(entity_pks)


def index_entities(entities: list[Entity]) -> int:
    """Replace the chunks of these entities; returns how many chunks were written."""
    if not entities:
        return 0
    remove_entities([entity.pk for entity in entities])
    chunks = [
        SearchChunk(
            entity_id=entity.pk,
            collection_id=entity.collection_id,
            chunk_index=index,
            name=entity.name,
            text=text,
        )
        for entity in entities
        for index, text in enumerate(split_text(entity.text))
    ]
    _embed(chunks)
    SearchChunk.objects.bulk_create(chunks, batch_size=500)
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
    if not by_type:
        return []
    match = Q()
    for entity_type, ids in by_type.items():
        match |= Q(entity_type=entity_type, entity_id__in=ids)
    return list(
        Entity.objects.filter(source_connection=source_connection)
        .filter(match)
        .only("id", "collection_id", "name", "text")
    )


def _embed(chunks: list[SearchChunk]) -> None:
    embedder = get_embedder()
    if embedder is None or not chunks:
        return
    vectors = embedder.embed_documents([_embedding_text(chunk) for chunk in chunks])
    for chunk, vector in zip(chunks, vectors, strict=True):
        chunk.embedding = vector.astype("<f4").tobytes()


def _embedding_text(chunk: SearchChunk) -> str:
    # The name gives a body chunk its context, as it does in the keyword index.
    return f"{chunk.name}\n\n{chunk.text}" if chunk.name else chunk.text
