"""The chunk index follows the sync engine: written, changed and deleted entities."""

from __future__ import annotations

import pytest

from syncs.models import Entity, SearchChunk
from syncs.search.index import reindex_collection
from syncs.search.service import search_instant
from tests.search.conftest import run_sync, stub_connection


def found(collection, query: str) -> set[str]:
    hits = search_instant(collection=collection, query=query, retrieval_strategy="keyword")
    return {hit.entity.entity_id for hit in hits}


@pytest.mark.dbspecific
def test_a_sync_indexes_every_entity(org_a):
    source_connection = stub_connection(org_a, entity_count=12, text_words=20)
    run_sync(source_connection)
    assert SearchChunk.objects.filter(entity__source_connection=source_connection).count() == 12


@pytest.mark.dbspecific
def test_deleted_entities_leave_results_at_once(org_a):
    source_connection = stub_connection(org_a, entity_count=40, text_words=20)
    run_sync(source_connection)
    source_connection.config.update(revision=1, delete_fraction=0.5)
    source_connection.save()
    run_sync(source_connection)
    remaining = set(Entity.objects.values_list("entity_id", flat=True))
    assert len(remaining) < 40
    assert found(org_a.collection, "invoice budget report") <= remaining
    assert SearchChunk.objects.count() == len(remaining)


@pytest.mark.dbspecific
def test_changed_entities_are_searched_by_their_new_text(org_a):
    source_connection = stub_connection(org_a, entity_count=1, text_words=5)
    run_sync(source_connection)
    Entity.objects.update(text="zeppelin", content_hash="changed")
    entity = Entity.objects.get()
    from syncs import indexing

    indexing.entities_written(source_connection, [(entity.entity_type, entity.entity_id)])
    assert found(org_a.collection, "zeppelin") == {entity.entity_id}
    assert SearchChunk.objects.get().text == "zeppelin"


def test_long_entities_are_split_into_several_chunks(org_a):
    source_connection = stub_connection(org_a, entity_count=1, text_words=1000)
    run_sync(source_connection)
    chunks = list(SearchChunk.objects.order_by("chunk_index"))
    assert len(chunks) >= 3
    assert [chunk.chunk_index for chunk in chunks] == list(range(len(chunks)))


def test_reindex_rebuilds_a_collections_chunks(org_a):
    source_connection = stub_connection(org_a, entity_count=5, text_words=10)
    run_sync(source_connection)
    SearchChunk.objects.all().delete()
    assert reindex_collection(org_a.collection) == 5
    assert SearchChunk.objects.count() == 5


def test_deleting_the_source_connection_removes_its_chunks(org_a):
    from connections import services

    source_connection = stub_connection(org_a, entity_count=5, text_words=10)
    run_sync(source_connection)
    services.source_connection_delete(source_connection=source_connection)
    assert SearchChunk.objects.count() == 0
