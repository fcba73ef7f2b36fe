"""syncs.search.loading: a ranking's chunks with what a result shows, in one query."""

from __future__ import annotations

import uuid

import pytest
from django.db.models.signals import post_init

from syncs.models import Entity, SearchChunk, Sync
from syncs.search.loading import load_chunks
from tests.search.conftest import at, run_sync, stub_connection, write_entities

# Hand-written SQL with each engine's column types (UUIDs as hex, datetimes as text on SQLite).
pytestmark = pytest.mark.dbspecific

DOC = {
    "entity_id": "doc-1",
    "name": "Quarterly invoice",
    "text": "Invoice for the quarter.",
    "breadcrumbs": [{"entity_id": "f-1", "name": "Finance", "entity_type": "folder"}],
    "fields": {"amount": 12.5, "tags": ["a"]},
    "web_url": "https://example.test/doc-1",
    "created_at": at("2025-01-02T03:04:05+00:00"),
    "last_sync_job_id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
}


def test_loaded_chunk_equals_what_the_orm_loads(source_connection):
    write_entities(source_connection, DOC)
    expected = SearchChunk.objects.select_related("entity").get(entity__entity_id="doc-1")
    [chunk] = load_chunks([expected.pk]).values()
    assert (chunk.pk, chunk.chunk_index, chunk.text) == (expected.pk, 0, expected.text)
    for field in ("name", "breadcrumbs", "fields", "web_url", "source_created_at", "synced_at"):
        assert getattr(chunk.entity, field) == getattr(expected.entity, field), field
    assert chunk.entity.last_sync_job_id == DOC["last_sync_job_id"]


def test_relations_are_loaded_in_one_query(django_assert_num_queries, org_a):
    source_connection = stub_connection(org_a, entity_count=3)
    job = run_sync(source_connection)
    ids = list(SearchChunk.objects.values_list("pk", flat=True))
    with django_assert_num_queries(1):
        chunks = load_chunks(ids)
        jobs = {chunk.entity.source_connection.sync.last_job.pk for chunk in chunks.values()}
        names = {chunk.entity.source_connection.short_name for chunk in chunks.values()}
    assert (len(chunks), jobs, names) == (3, {job.pk}, {"stub"})


def test_connection_without_sync_loads_with_none(django_assert_num_queries, source_connection):
    write_entities(source_connection, DOC)
    Sync.objects.filter(source_connection=source_connection).delete()
    ids = list(SearchChunk.objects.values_list("pk", flat=True))
    with django_assert_num_queries(1):
        [chunk] = load_chunks(ids).values()
        assert getattr(chunk.entity.source_connection, "sync", None) is None


def test_unknown_ids_are_left_out(source_connection):
    assert load_chunks([10**9]) == {}


def test_a_column_not_selected_is_read_when_asked(source_connection, django_assert_num_queries):
    write_entities(source_connection, {**DOC, "text": "The full entity text."})
    [chunk] = load_chunks(list(SearchChunk.objects.values_list("pk", flat=True))).values()
    with django_assert_num_queries(1):
        assert chunk.entity.text == "The full entity text."
    assert chunk.entity._state.adding is False and chunk.entity._state.db == "default"


def test_models_with_init_listeners_are_built_through_the_orm(source_connection):
    write_entities(source_connection, DOC)
    built = []

    def listener(sender, instance, **kwargs):
        built.append(instance)

    post_init.connect(listener, sender=Entity)
    try:
        [chunk] = load_chunks(list(SearchChunk.objects.values_list("pk", flat=True))).values()
    finally:
        post_init.disconnect(listener, sender=Entity)
    assert built == [chunk.entity]
