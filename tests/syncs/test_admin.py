"""The operators' admin for syncs, jobs and entities: read-only lists without N+1, filters
for failed and stuck jobs, and actions that call the sync services."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from syncs.models import Entity, Sync, SyncJob
from syncs.services import sync_job_enqueue
from tests.syncs.conftest import run, stub_connection

pytestmark = pytest.mark.django_db

LIST_PAGES = [
    "/admin/syncs/sync/",
    "/admin/syncs/syncjob/",
    "/admin/syncs/syncjob/?stuck=yes",
    "/admin/syncs/syncjob/?failed=day",
    "/admin/syncs/entity/",
]


def populate(tenant, count: int) -> None:
    """``count`` connections, each with a job and an entity; every other job failed."""
    for index in range(count):
        source_connection = stub_connection(tenant)
        job = sync_job_enqueue(sync=source_connection.sync)
        if index % 2:
            job.start()
            job.fail("boom")
        Entity.objects.create(
            collection=tenant.collection,
            source_connection=source_connection,
            entity_id=f"e-{index}",
            entity_type="stub_document",
            content_hash="-",
        )


def count_queries(client, url: str) -> tuple[int, bytes]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content


@pytest.mark.parametrize("url", LIST_PAGES)
def test_list_page_queries_do_not_grow_with_rows(
    admin_client, org_a, url, django_assert_max_num_queries
):
    populate(org_a, 1)
    with_one, _ = count_queries(admin_client, url)
    populate(org_a, 49)
    with django_assert_max_num_queries(with_one):
        admin_client.get(url)


def act(admin_client, model: str, action: str, *pks) -> str:
    response = admin_client.post(
        f"/admin/syncs/{model}/",
        {"action": action, "_selected_action": [str(pk) for pk in pks]},
        follow=True,
    )
    assert response.status_code == 200
    return " ".join(
        re.findall(r'<li class="(?:info|warning)">(.*?)</li>', response.content.decode())
    )


def test_run_now_queues_a_job(admin_client, stub_a):
    assert act(admin_client, "sync", "run_now", stub_a.sync.pk) == "Sync jobs queued: 1."
    assert SyncJob.objects.get().trigger == "manual"


def test_run_now_reports_a_sync_that_is_already_running(admin_client, stub_a, org_b):
    other = stub_connection(org_b)
    sync_job_enqueue(sync=stub_a.sync)
    message = act(admin_client, "sync", "run_now", stub_a.sync.pk, other.sync.pk)
    assert message.startswith("Sync jobs queued: 1. Refused: ")
    assert "already pending or running" in message
    assert SyncJob.objects.count() == 2


def test_pause_and_resume(admin_client, stub_a):
    assert act(admin_client, "sync", "pause", stub_a.sync.pk) == "Paused: 1."
    sync = Sync.objects.get(pk=stub_a.sync.pk)
    assert sync.paused and sync.pause_reason == "Paused in the admin by admin"
    act(admin_client, "sync", "resume", stub_a.sync.pk)
    assert not Sync.objects.get(pk=stub_a.sync.pk).paused


def test_cancel_pending_job_and_refuse_a_finished_one(admin_client, stub_a):
    finished = run(stub_a)
    pending = sync_job_enqueue(sync=stub_a.sync)
    message = act(admin_client, "syncjob", "cancel", pending.pk, finished.pk)
    assert message.startswith("Cancel requested: 1. Refused: ")
    assert "Cannot cancel job in completed state" in message
    assert SyncJob.objects.get(pk=pending.pk).status == "cancelled"


def listed_job_ids(admin_client, query: str) -> set[str]:
    content = admin_client.get(f"/admin/syncs/syncjob/?{query}").content.decode()
    return set(re.findall(r"/admin/syncs/syncjob/([0-9a-f-]{36})/change/", content))


def test_stuck_filter_shows_what_the_sweeper_would_repair(admin_client, stub_a, org_b):
    stale = sync_job_enqueue(sync=stub_a.sync)
    stale.start()
    SyncJob.objects.filter(pk=stale.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    fresh = sync_job_enqueue(sync=stub_connection(org_b).sync)
    fresh.start()
    assert listed_job_ids(admin_client, "stuck=yes") == {str(stale.pk)}


def test_failed_filter_by_period(admin_client, stub_a):
    old = sync_job_enqueue(sync=stub_a.sync)
    old.start()
    old.fail("long ago")
    SyncJob.objects.filter(pk=old.pk).update(failed_at=timezone.now() - timedelta(days=3))
    recent = sync_job_enqueue(sync=stub_a.sync)
    recent.start()
    recent.fail("just now")
    assert listed_job_ids(admin_client, "failed=day") == {str(recent.pk)}
    assert listed_job_ids(admin_client, "failed=week") == {str(old.pk), str(recent.pk)}


@pytest.mark.parametrize("model", ["sync", "syncjob", "entity"])
def test_rows_are_read_only(admin_client, stub_a, model):
    job = run(stub_a)
    pk = {"sync": stub_a.sync.pk, "syncjob": job.pk, "entity": Entity.objects.first().pk}[model]
    assert admin_client.get(f"/admin/syncs/{model}/add/").status_code == 403
    change = admin_client.get(f"/admin/syncs/{model}/{pk}/change/")
    assert change.status_code == 200 and b'type="submit" value="Save"' not in change.content
    assert admin_client.post(f"/admin/syncs/{model}/{pk}/delete/").status_code == 403


def test_job_page_shows_counters_and_error(admin_client, stub_a):
    job = sync_job_enqueue(sync=stub_a.sync)
    job.start()
    job.record_progress({"entities_inserted": 7})
    job.fail("The source broke", details={"entity_failures": [{"entity_id": "x", "reason": "bad"}]})
    content = admin_client.get(f"/admin/syncs/syncjob/{job.pk}/change/").content.decode()
    assert "The source broke" in content and "entity_failures" in content
    assert (
        'class="field-entities_inserted">7<'
        in admin_client.get("/admin/syncs/syncjob/").content.decode()
    )
