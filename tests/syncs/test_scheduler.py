"""run_due_syncs: queue a job for each sync whose next run has come, once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from syncs.models import Sync, SyncJob
from syncs.services import run_due_syncs, sync_job_enqueue, sync_pause
from tests.syncs.conftest import stub_connection

pytestmark = pytest.mark.django_db


def make_due(sync: Sync, minutes_ago: int = 1) -> Sync:
    Sync.objects.filter(pk=sync.pk).update(next_run=timezone.now() - timedelta(minutes=minutes_ago))
    sync.refresh_from_db()
    return sync


def test_due_sync_gets_a_scheduled_job(stub_a):
    make_due(stub_a.sync)
    assert run_due_syncs() == 1
    job = SyncJob.objects.get(sync=stub_a.sync)
    assert (job.status, job.trigger) == ("pending", "schedule")


def test_next_run_advances_past_now(stub_a):
    make_due(stub_a.sync, minutes_ago=3 * 24 * 60)
    now = timezone.now()
    run_due_syncs(now=now)
    stub_a.sync.refresh_from_db()
    assert stub_a.sync.next_run == stub_a.sync.compute_next_run(now)
    assert now < stub_a.sync.next_run <= now + timedelta(days=1)


def test_missed_runs_queue_one_job_not_one_each(stub_a):
    make_due(stub_a.sync, minutes_ago=3 * 24 * 60)
    run_due_syncs()
    run_due_syncs()
    assert SyncJob.objects.filter(sync=stub_a.sync).count() == 1


def test_sync_not_yet_due_is_left_alone(stub_a):
    assert stub_a.sync.next_run > timezone.now()
    assert run_due_syncs() == 0
    assert not SyncJob.objects.exists()


def test_skipped_while_a_job_is_active_but_next_run_advances(stub_a):
    active = sync_job_enqueue(sync=stub_a.sync)
    make_due(stub_a.sync)
    assert run_due_syncs() == 0
    assert list(SyncJob.objects.all()) == [active]
    stub_a.sync.refresh_from_db()
    assert stub_a.sync.next_run > timezone.now()


def test_paused_sync_is_not_run(stub_a):
    sync_pause(sync=stub_a.sync, reason="maintenance")
    make_due(stub_a.sync)
    assert run_due_syncs() == 0


def test_manual_only_sync_is_not_run(org_a):
    source_connection = stub_connection(org_a)
    Sync.objects.filter(pk=source_connection.sync.pk).update(cron=None)
    make_due(source_connection.sync)
    assert run_due_syncs() == 0


def test_each_due_sync_is_queued(org_a, org_b):
    syncs = [stub_connection(org_a).sync, stub_connection(org_b).sync]
    for sync in syncs:
        make_due(sync)
    assert run_due_syncs() == 2
    assert SyncJob.objects.filter(trigger="schedule").count() == 2


def test_job_is_handed_to_the_queue_after_commit(
    stub_a, django_capture_on_commit_callbacks, monkeypatch
):
    queued: list = []
    monkeypatch.setattr("syncs.services._enqueue_task", queued.append)
    make_due(stub_a.sync)
    with django_capture_on_commit_callbacks(execute=True):
        run_due_syncs()
        assert queued == []
    assert queued == [SyncJob.objects.get().pk]


def test_system_schedule_runs_the_scheduler_every_minute():
    from django_q.models import Schedule

    schedule = Schedule.objects.get(func="syncs.tasks.run_due_syncs")
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == ("I", 1, -1)
