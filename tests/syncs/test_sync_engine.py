"""The sync engine: batches, insert / update / keep / delete, failures, cancellation, cursors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import pytest

from connections import services
from connections.exceptions import InvalidRequest
from connections.models import SourceConnection
from connections.sources.base import (
    BaseSource,
    EntityDeletion,
    SourceAuthError,
    SourceEntity,
    SourceError,
    SourceField,
)
from connections.sources.registry import _SOURCES
from connections.sources.stub import StubSource
from syncs.engine import content_hash, run_sync_job
from syncs.models import Entity, SyncJob
from syncs.services import sync_job_enqueue, sync_job_run_manual
from tests.syncs.conftest import reconfigure, run, stub_connection

# Bulk writes, raw deletes and the search index hooks differ by engine: run on SQLite too.
pytestmark = [pytest.mark.django_db, pytest.mark.dbspecific]


class ScriptedSource(BaseSource):
    """Yields what a test scripted: entities and deletions; raises exceptions; calls callables."""

    name = "Scripted"
    short_name = "test_engine_scripted"
    auth_methods = ("direct", "oauth_token")
    auth_fields = (SourceField("api_key", "API key", required=True, is_secret=True),)
    entity_types = ("test_doc",)
    supports_continuous = True
    script: ClassVar[list] = []

    def generate_entities(self) -> Iterator[SourceEntity | EntityDeletion]:
        for step in self.script:
            if isinstance(step, Exception):
                raise step
            if callable(step):
                step(self)
                continue
            yield step


@pytest.fixture
def scripted(monkeypatch) -> type[ScriptedSource]:
    monkeypatch.setitem(_SOURCES, ScriptedSource.short_name, ScriptedSource)
    monkeypatch.setattr(ScriptedSource, "script", [])
    return ScriptedSource


def scripted_connection(tenant, authentication=None) -> SourceConnection:
    return services.source_connection_create(
        organization=tenant.organization,
        data={
            "short_name": ScriptedSource.short_name,
            "readable_collection_id": tenant.collection.readable_id,
            "authentication": authentication or {"credentials": {"api_key": "key-one"}},
            "sync_immediately": False,
        },
    )


def doc(index: int, text: str = "text", **fields) -> SourceEntity:
    return SourceEntity(f"doc-{index}", "test_doc", f"Doc {index}", text=text, fields=fields)


def docs(count: int) -> list[SourceEntity]:
    return [doc(index) for index in range(count)]


def counters(job: SyncJob) -> dict[str, int]:
    names = ("inserted", "updated", "deleted", "kept", "skipped", "failed")
    return {
        name: getattr(job, f"entities_{name}") for name in names if getattr(job, f"entities_{name}")
    }


def cancel_running_job(source) -> None:
    SyncJob.objects.get(status=SyncJob.Status.RUNNING).request_cancel()


def entity_ids(source_connection) -> set[str]:
    return set(
        Entity.objects.filter(source_connection=source_connection).values_list(
            "entity_id", flat=True
        )
    )


def test_first_sync_inserts_every_entity_in_batches(stub_a):
    job = run(stub_a)
    assert job.status == SyncJob.Status.COMPLETED
    assert counters(job) == {"inserted": 10}
    assert Entity.objects.filter(source_connection=stub_a, first_sync_job_id=job.pk).count() == 10


def test_counters_are_saved_after_every_batch(org_a, scripted):
    seen: list[int] = []
    scripted.script = [
        *docs(4),
        lambda s: seen.append(SyncJob.objects.get().entities_inserted),
        doc(4),
    ]
    run(scripted_connection(org_a))
    assert seen == [4]


def test_rerun_keeps_unchanged_entities_without_rewriting_them(stub_a):
    first = run(stub_a)
    again = run(stub_a)
    assert counters(again) == {"kept": 10}
    assert set(Entity.objects.values_list("last_sync_job_id", flat=True)) == {first.pk}


def test_revision_updates_and_deletes_the_stub_fractions(org_a):
    source_connection = stub_connection(org_a, entity_count=40)
    run(source_connection)
    changes = {"revision": 1, "change_fraction": 0.25, "delete_fraction": 0.1}
    source_connection = reconfigure(source_connection, **changes)
    before, after = StubSource(config={"seed": 42}), StubSource(config=source_connection.config)
    revised = [(before.entity_at(i, 42), after.entity_at(i, 42)) for i in range(40)]
    deleted = sum(1 for _, new in revised if new is None)
    updated = sum(1 for old, new in revised if new and content_hash(old) != content_hash(new))
    job = run(source_connection)
    assert deleted and updated
    assert counters(job) == {"updated": updated, "deleted": deleted, "kept": 40 - updated - deleted}
    assert Entity.objects.filter(source_connection=source_connection).count() == 40 - deleted


def test_failed_enumeration_deletes_nothing(org_a, scripted):
    source_connection = scripted_connection(org_a)
    scripted.script = docs(6)
    run(source_connection)
    scripted.script = [doc(0), SourceError("the listing broke")]
    job = run(source_connection)
    assert (job.status, job.error, job.entities_deleted) == ("failed", "the listing broke", 0)
    assert len(entity_ids(source_connection)) == 6


def test_cancel_between_batches_ends_cancelled_and_deletes_nothing(org_a, scripted):
    source_connection = scripted_connection(org_a)
    scripted.script = docs(12)
    run(source_connection)
    scripted.script = [*docs(4), cancel_running_job, *docs(12)[4:]]
    job = run(source_connection)
    assert job.status == SyncJob.Status.CANCELLED and job.completed_at is not None
    assert counters(job) == {"kept": 8}  # the batch under way when the request came is finished
    assert len(entity_ids(source_connection)) == 12


def test_duplicate_entity_in_one_run_is_skipped(org_a, scripted):
    scripted.script = [doc(0), doc(1), doc(0), doc(2), doc(3), doc(4), doc(1, text="later")]
    job = run(scripted_connection(org_a))
    assert counters(job) == {"inserted": 5, "skipped": 2}


def test_entity_the_source_cannot_read_is_counted_failed_with_its_reason(org_a):
    job = run(stub_connection(org_a, fail_entity_every=3))
    assert job.status == SyncJob.Status.COMPLETED
    assert counters(job) == {"inserted": 7, "failed": 3}
    failures = job.error_details["entity_failures"]
    assert [f["entity_id"] for f in failures] == ["stub-2", "stub-5", "stub-8"]
    assert {f["reason"] for f in failures} == {"poisoned by fail_entity_every"}


def test_entity_the_engine_cannot_store_fails_alone(org_a, scripted):
    nameless = SourceEntity("", "test_doc", "No id")
    scripted.script = [doc(0), nameless, doc(2, score=float("nan")), doc(3)]
    job = run(scripted_connection(org_a))
    assert counters(job) == {"inserted": 2, "failed": 2}
    reasons = [f["reason"] for f in job.error_details["entity_failures"]]
    assert reasons[0] == "entity_id must be 1-512 characters"
    assert reasons[1].startswith("cannot serialise fields")


def test_entity_that_fails_is_not_deleted_as_unseen(org_a, scripted):
    source_connection = scripted_connection(org_a)
    scripted.script = docs(3)
    run(source_connection)
    scripted.script = [doc(0), doc(1, score=float("nan")), doc(2)]
    job = run(source_connection)
    assert counters(job) == {"kept": 2, "failed": 1}
    assert entity_ids(source_connection) == {"doc-0", "doc-1", "doc-2"}


def test_item_the_source_could_not_read_counts_only_as_failed(org_a):
    job = run(stub_connection(org_a, fail_entity_every=5))
    assert counters(job) == {"inserted": 8, "failed": 2}
    assert not Entity.objects.filter(entity_id__in=["stub-4", "stub-9"]).exists()


def test_item_the_source_could_not_read_keeps_its_stored_version(org_a):
    source_connection = stub_connection(org_a)
    run(source_connection)
    stored = Entity.objects.get(entity_id="stub-4")
    job = run(reconfigure(source_connection, fail_entity_every=5, revision=1, change_fraction=1))
    assert counters(job) == {"updated": 8, "failed": 2}
    assert Entity.objects.get(entity_id="stub-4").content_hash == stored.content_hash


def test_nul_characters_are_dropped_from_stored_text(org_a, scripted):
    scripted.script = [doc(0, text="before\x00after")]
    run(scripted_connection(org_a))
    assert Entity.objects.get().text == "beforeafter"


def test_refused_direct_credentials_need_reauth_and_pause_the_schedule(org_a, scripted):
    source_connection = scripted_connection(org_a)
    scripted.script = [SourceAuthError("401 Unauthorized")]
    job = run(source_connection)
    assert (job.status, job.error_category) == ("failed", "api_key_invalid")
    source_connection = SourceConnection.objects.with_sync().get(pk=source_connection.pk)
    assert source_connection.status == SourceConnection.Status.NEEDS_REAUTH
    assert source_connection.sync.paused
    with pytest.raises(InvalidRequest, match="needs re-authentication"):
        sync_job_run_manual(sync=source_connection.sync)


def test_refused_oauth_token_is_oauth_credentials_expired(org_a, scripted):
    source_connection = scripted_connection(org_a, {"access_token": "token-one"})
    scripted.script = [SourceAuthError("403 Forbidden")]
    job = run(source_connection)
    assert (job.status, job.error_category) == ("failed", "oauth_credentials_expired")


def test_credentials_patch_resumes_the_schedule(org_a, scripted):
    source_connection = scripted_connection(org_a)
    scripted.script = [SourceAuthError("401 Unauthorized")]
    run(source_connection)
    response = org_a.client.patch(
        f"/api/source-connections/{source_connection.pk}",
        {"authentication": {"credentials": {"api_key": "key-two"}}},
        format="json",
    )
    assert (response.json()["status"], response.json()["error_category"]) == ("active", None)
    source_connection = SourceConnection.objects.with_sync().get(pk=source_connection.pk)
    assert not source_connection.sync.paused and source_connection.sync.next_run is not None
    assert source_connection.credential.secrets == {"api_key": "key-two"}
    scripted.script = docs(2)
    assert run(source_connection).status == SyncJob.Status.COMPLETED


def test_new_credentials_do_not_resume_an_operator_pause(org_a, scripted):
    from syncs.services import sync_pause

    source_connection = scripted_connection(org_a)
    sync_pause(sync=source_connection.sync, reason="maintenance")
    source_connection = services.source_connection_update(
        source_connection=source_connection,
        data={"authentication": {"credentials": {"api_key": "key-two"}}},
    )
    assert source_connection.sync.paused


def set_cursor(source) -> None:
    source.cursor = {"since": "2026-01-01"}


def test_cursor_is_saved_only_when_the_run_completes(org_a, scripted):
    source_connection = scripted_connection(org_a)
    scripted.script = [doc(0), set_cursor, SourceError("broke")]
    run(source_connection)
    source_connection.sync.refresh_from_db()
    assert source_connection.sync.cursor == {}
    scripted.script = [doc(0), set_cursor]
    run(source_connection)
    source_connection.sync.refresh_from_db()
    assert source_connection.sync.cursor == {"since": "2026-01-01"}


def test_incremental_run_deletes_only_what_the_source_says(org_a, scripted):
    source_connection = scripted_connection(org_a)
    scripted.script = [*docs(3), set_cursor]
    run(source_connection)
    scripted.script = [EntityDeletion("doc-1", "test_doc")]
    job = run(source_connection)
    assert (job.sync_type, counters(job)) == ("incremental", {"deleted": 1})
    assert entity_ids(source_connection) == {"doc-0", "doc-2"}


def test_force_full_sync_ignores_the_cursor_and_deletes_unseen(org_a, scripted):
    source_connection = scripted_connection(org_a)
    scripted.script = [*docs(3), set_cursor]
    run(source_connection)
    scripted.script = [doc(0)]
    job = run(source_connection, force_full_sync=True)
    assert (job.sync_type, counters(job)) == ("full", {"kept": 1, "deleted": 2})


def fail_running_job(source) -> None:
    SyncJob.objects.get(status=SyncJob.Status.RUNNING).fail("swept")


def test_run_stops_when_the_sweeper_failed_its_job(org_a, scripted):
    scripted.script = [*docs(4), fail_running_job, *docs(12)[4:]]
    source_connection = scripted_connection(org_a)
    job = run(source_connection)
    assert (job.status, job.error) == ("failed", "swept")
    assert len(entity_ids(source_connection)) == 8  # stopped after the batch under way


def test_slow_source_still_ends_a_batch_in_time(org_a, scripted, settings, monkeypatch):
    settings.WEFT_SYNC_BATCH_SIZE = 100
    monkeypatch.setattr("syncs.engine.MAX_BATCH_SECONDS", 0.0)
    seen: list[int] = []
    scripted.script = [
        doc(0),
        lambda s: seen.append(SyncJob.objects.get().entities_inserted),
        doc(1),
    ]
    run(scripted_connection(org_a))
    assert seen == [1]


def delete_connection(source) -> None:
    services.source_connection_delete(source_connection=SourceConnection.objects.get())


@pytest.mark.django_db(transaction=True)
def test_connection_deleted_mid_run_ends_the_run_quietly(org_a, scripted):
    source_connection = scripted_connection(org_a)
    scripted.script = [*docs(4), delete_connection, *docs(8)[4:]]
    job = sync_job_enqueue(sync=source_connection.sync)
    assert run_sync_job(job.pk) == "deleted"
    assert not SourceConnection.objects.exists() and not Entity.objects.exists()
