"""SyncJob's status machine, its counters, and the one-active-job-per-sync constraint."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from connections.exceptions import Conflict
from syncs.models import IllegalTransition, SyncJob
from syncs.services import sync_job_enqueue

S = SyncJob.Status

# Each public transition method, and where it takes a job from each status it may leave.
LEGAL = {
    (S.PENDING, "start"): S.RUNNING,
    (S.PENDING, "request_cancel"): S.CANCELLED,
    (S.PENDING, "mark_cancelled"): S.CANCELLED,
    (S.RUNNING, "complete"): S.COMPLETED,
    (S.RUNNING, "fail"): S.FAILED,
    (S.RUNNING, "request_cancel"): S.CANCELLING,
    (S.CANCELLING, "mark_cancelled"): S.CANCELLED,
}
METHODS = ("start", "complete", "fail", "request_cancel", "mark_cancelled")
ILLEGAL = [(s, m) for s in S.values for m in METHODS if (s, m) not in LEGAL]


def call(job: SyncJob, method: str) -> bool:
    return job.fail("boom") if method == "fail" else getattr(job, method)()


def job_in(sync, status: str) -> SyncJob:
    job = SyncJob.objects.create(sync=sync, source_connection_id=sync.source_connection_id)
    SyncJob.objects.filter(pk=job.pk).update(status=status)
    job.refresh_from_db()
    return job


@pytest.mark.parametrize(("status", "method"), list(LEGAL))
def test_legal_transition_moves_the_row(stub_a, status, method):
    job = job_in(stub_a.sync, status)
    assert call(job, method) is True
    assert job.status == LEGAL[(status, method)]
    assert SyncJob.objects.get(pk=job.pk).status == LEGAL[(status, method)]


@pytest.mark.parametrize(("status", "method"), ILLEGAL)
def test_illegal_transition_raises_and_leaves_the_row(stub_a, status, method):
    job = job_in(stub_a.sync, status)
    with pytest.raises(IllegalTransition):
        call(job, method)
    assert SyncJob.objects.get(pk=job.pk).status == status


def test_stale_instance_does_not_overwrite_a_newer_status(stub_a):
    job = sync_job_enqueue(sync=stub_a.sync)
    SyncJob.objects.get(pk=job.pk).start()
    assert job.request_cancel() is False
    assert job.status == S.RUNNING  # refreshed: the caller sees what happened instead
    assert SyncJob.objects.get(pk=job.pk).status == S.RUNNING


def test_timestamps_and_duration_follow_the_transitions(stub_a):
    job = sync_job_enqueue(sync=stub_a.sync)
    assert job.duration_seconds is None
    job.start()
    assert job.started_at is not None and job.heartbeat_at == job.started_at
    job.complete()
    assert job.completed_at >= job.started_at
    assert job.duration_seconds == round((job.completed_at - job.started_at).total_seconds(), 3)


def test_fail_keeps_error_category_and_details(stub_a):
    job = sync_job_enqueue(sync=stub_a.sync)
    job.start()
    job.fail("401", SyncJob.ErrorCategory.API_KEY_INVALID, {"status": 401})
    stored = SyncJob.objects.get(pk=job.pk)
    assert (stored.error, stored.error_category, stored.error_details) == (
        "401",
        "api_key_invalid",
        {"status": 401},
    )
    assert stored.failed_at is not None and stored.duration_seconds is not None


def test_record_progress_adds_counters_and_reports_a_cancel_request(stub_a):
    job = sync_job_enqueue(sync=stub_a.sync)
    job.start()
    job.record_progress({"entities_inserted": 3, "entities_kept": 1})
    SyncJob.objects.get(pk=job.pk).request_cancel()
    assert job.record_progress({"entities_inserted": 2, "entities_kept": 0}) == S.CANCELLING
    assert (job.entities_inserted, job.entities_kept) == (5, 1)


def test_database_refuses_a_second_active_job(stub_a):
    sync_job_enqueue(sync=stub_a.sync)
    with pytest.raises(IntegrityError), transaction.atomic():
        SyncJob.objects.create(sync=stub_a.sync, source_connection=stub_a)


@pytest.mark.parametrize("status", [S.COMPLETED, S.FAILED, S.CANCELLED])
def test_finished_jobs_do_not_block_a_new_one(stub_a, status):
    job_in(stub_a.sync, status)
    assert sync_job_enqueue(sync=stub_a.sync).status == S.PENDING


REQUESTS = 8


@pytest.mark.dbspecific
@pytest.mark.django_db(transaction=True)
def test_concurrent_run_requests_make_exactly_one_job(stub_a, org_a):
    barrier = threading.Barrier(REQUESTS)
    statuses: list[int] = []

    def request_run() -> None:
        try:
            barrier.wait()
            response = org_a.client.post(f"/api/source-connections/{stub_a.pk}/run")
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=request_run) for _ in range(REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [409] * (REQUESTS - 1)
    assert SyncJob.objects.filter(sync=stub_a.sync, status__in=SyncJob.ACTIVE_STATUSES).count() == 1


@pytest.mark.dbspecific
@pytest.mark.django_db(transaction=True)
def test_concurrent_enqueues_make_exactly_one_job(stub_a):
    barrier = threading.Barrier(REQUESTS)
    outcomes: list[str] = []

    def enqueue() -> None:
        try:
            barrier.wait()
            sync_job_enqueue(sync=stub_a.sync)
            outcomes.append("queued")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=enqueue) for _ in range(REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict"] * (REQUESTS - 1) + ["queued"]
    assert SyncJob.objects.filter(sync=stub_a.sync).count() == 1
