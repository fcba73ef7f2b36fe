"""sweep_stale_jobs: repair jobs whose worker died, leave waiting ones alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import OrmQ
from django_q.signing import SignedPackage

from syncs.models import SyncJob
from syncs.services import _enqueue_task, sweep_stale_jobs, sync_job_enqueue

pytestmark = pytest.mark.django_db

LATER = timedelta(minutes=16)  # past the default WEFT_STALE_JOB_MINUTES of 15


@pytest.fixture
def job(stub_a) -> SyncJob:
    return sync_job_enqueue(sync=stub_a.sync)


def status(job: SyncJob) -> str:
    return SyncJob.objects.get(pk=job.pk).status


def queued_task_ids() -> list[str]:
    return [SignedPackage.loads(p)["id"] for p in OrmQ.objects.values_list("payload", flat=True)]


def test_stale_running_job_fails_with_a_reason(job):
    job.start()
    counts = sweep_stale_jobs(now=timezone.now() + LATER)
    assert counts == {"failed": 1, "cancelled": 0, "requeued": 0}
    failed = SyncJob.objects.get(pk=job.pk)
    assert failed.status == "failed"
    assert "no heartbeat for 15 minutes" in failed.error


def test_running_job_with_a_recent_heartbeat_is_left_alone(job):
    job.start()
    assert sweep_stale_jobs(now=timezone.now() + timedelta(minutes=14))["failed"] == 0
    assert status(job) == "running"


def test_stale_threshold_is_a_setting(job, settings):
    settings.WEFT_STALE_JOB_MINUTES = 1
    job.start()
    sweep_stale_jobs(now=timezone.now() + timedelta(minutes=2))
    assert status(job) == "failed"


def test_stale_cancelling_job_ends_cancelled(job):
    job.start()
    job.request_cancel()
    assert sweep_stale_jobs(now=timezone.now() + LATER)["cancelled"] == 1
    assert status(job) == "cancelled"


def test_pending_job_still_in_the_queue_is_left_alone(job):
    _enqueue_task(job.pk)
    job.refresh_from_db()
    assert sweep_stale_jobs(now=timezone.now() + timedelta(hours=2))["requeued"] == 0
    assert queued_task_ids() == [job.task_id]
    assert status(job) == "pending"


def test_lost_pending_job_is_queued_again(job):
    SyncJob.objects.filter(pk=job.pk).update(task_id="gone-from-the-broker")
    assert sweep_stale_jobs(now=timezone.now() + timedelta(minutes=6))["requeued"] == 1
    job.refresh_from_db()
    assert job.task_id != "gone-from-the-broker"
    assert queued_task_ids() == [job.task_id]


def test_requeued_job_is_not_requeued_again_while_it_waits(job):
    now = timezone.now() + timedelta(minutes=6)
    sweep_stale_jobs(now=now)
    assert sweep_stale_jobs(now=now + timedelta(minutes=1))["requeued"] == 0
    assert len(queued_task_ids()) == 1


def test_recent_pending_job_is_not_yet_considered_lost(job):
    assert sweep_stale_jobs(now=timezone.now() + timedelta(minutes=4))["requeued"] == 0
    assert not OrmQ.objects.exists()


def test_finished_jobs_are_never_touched(job):
    job.start()
    job.complete()
    assert sweep_stale_jobs(now=timezone.now() + timedelta(days=1)) == {
        "failed": 0,
        "cancelled": 0,
        "requeued": 0,
    }
    assert status(job) == "completed"


def test_system_schedule_runs_the_sweeper_every_five_minutes():
    from django_q.models import Schedule

    schedule = Schedule.objects.get(func="syncs.tasks.sweep_stale_jobs")
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == ("I", 5, -1)
