"""Sync orchestration: creating syncs, queueing and cancelling jobs, schedules, the sweeper."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from connections.exceptions import Conflict, InvalidRequest
from connections.models import SourceConnection
from syncs import schedules
from syncs.models import Sync, SyncJob

logger = logging.getLogger("weft.syncs")

RUN_TASK = "syncs.tasks.run_sync_job"


def sync_create(*, source_connection: SourceConnection, cron: str | None) -> Sync:
    sync = Sync(source_connection=source_connection, cron=cron)
    sync.next_run = sync.compute_next_run()
    sync.save()
    return sync


def sync_set_schedule(*, sync: Sync, cron: str | None) -> Sync:
    sync.cron = cron
    sync.next_run = sync.compute_next_run()
    sync.save(update_fields=["cron", "next_run", "modified_at"])
    return sync


def sync_pause(*, sync: Sync, reason: str = "") -> None:
    Sync.objects.filter(pk=sync.pk).update(paused=True, pause_reason=reason[:255])
    sync.paused, sync.pause_reason = True, reason[:255]


def sync_resume(*, sync: Sync) -> None:
    next_run = sync.compute_next_run()
    Sync.objects.filter(pk=sync.pk).update(paused=False, pause_reason="", next_run=next_run)
    sync.paused, sync.pause_reason, sync.next_run = False, "", next_run


def _enqueue_task(job_id) -> None:
    from django_q.tasks import async_task

    task_id = async_task(RUN_TASK, str(job_id), task_name=f"sync-job-{job_id}", group="sync-jobs")
    SyncJob.objects.filter(pk=job_id).update(task_id=task_id or "")


def sync_job_enqueue(
    *, sync: Sync, trigger: str = SyncJob.Trigger.MANUAL, force_full_sync: bool = False
) -> SyncJob:
    """Create a pending job and queue it once the transaction commits.

    The partial unique index refuses a second active job; that refusal is the 409.
    """
    try:
        with transaction.atomic():
            job = SyncJob.objects.create(
                sync=sync,
                source_connection_id=sync.source_connection_id,
                trigger=trigger,
                force_full_sync=force_full_sync,
            )
            Sync.objects.filter(pk=sync.pk).update(last_job=job)
    except IntegrityError:
        raise Conflict(
            "A sync job is already pending or running for this source connection"
        ) from None
    sync.last_job = job
    transaction.on_commit(lambda: _enqueue_task(job.pk))
    return job


def sync_job_run_manual(*, sync: Sync, force_full_sync: bool = False) -> SyncJob:
    if not sync.source_connection.is_authenticated:
        raise InvalidRequest(
            "This source connection is not authenticated yet: finish its OAuth flow first"
        )
    if sync.paused and sync.source_connection.status == SourceConnection.Status.NEEDS_REAUTH:
        raise InvalidRequest(
            "This source connection needs re-authentication before it can sync again"
        )
    return sync_job_enqueue(sync=sync, force_full_sync=force_full_sync)


def sync_job_cancel(*, job: SyncJob) -> SyncJob:
    if job.status not in (SyncJob.Status.PENDING, SyncJob.Status.RUNNING):
        raise Conflict(f"Cannot cancel job in {job.status} state")
    if not job.request_cancel() and job.status not in (
        SyncJob.Status.CANCELLING,
        SyncJob.Status.CANCELLED,
    ):
        # It moved on (started or finished) between our read and our update.
        if job.status == SyncJob.Status.RUNNING:
            job.request_cancel()
        else:
            raise Conflict(f"Cannot cancel job in {job.status} state")
    return job


def run_due_syncs(*, now=None) -> int:
    """Queue a job for every sync whose next run has come; returns how many were queued."""
    now = now or timezone.now()
    queued = 0
    due = Sync.objects.filter(
        next_run__lte=now, paused=False, source_connection__is_authenticated=True
    ).exclude(cron__isnull=True)
    for sync in due.select_related("source_connection").iterator():
        # Advance first, conditionally, so two schedulers never both take the same run.
        next_run = sync.compute_next_run(now)
        claimed = Sync.objects.filter(pk=sync.pk, next_run=sync.next_run).update(next_run=next_run)
        if not claimed:
            continue
        try:
            sync_job_enqueue(sync=sync, trigger=SyncJob.Trigger.SCHEDULE)
            queued += 1
        except Conflict:
            logger.info("Skipped scheduled run of sync %s: a job is still active", sync.pk)
    return queued


def _queued_task_ids() -> set[str]:
    """Ids of the tasks waiting in the django-q2 broker (ORM table or Redis list)."""
    from django_q.brokers import get_broker
    from django_q.signing import SignedPackage

    broker = get_broker()
    if settings.REDIS_URL:
        payloads = broker.connection.lrange(broker.list_key, 0, -1)
    else:
        from django_q.models import OrmQ

        payloads = OrmQ.objects.values_list("payload", flat=True)
    ids: set[str] = set()
    for payload in payloads:
        try:
            ids.add(SignedPackage.loads(payload).get("id", ""))
        except Exception:  # noqa: BLE001, S112 - an unreadable entry is not one of ours
            continue
    return ids


def sweep_stale_jobs(*, now=None) -> dict[str, int]:
    """Repair jobs whose worker died: stale running → failed, stale cancelling → cancelled,
    lost pending → queued again. A pending job still waiting in the queue is left alone."""
    now = now or timezone.now()
    counts = {"failed": 0, "cancelled": 0, "requeued": 0}
    minutes = settings.WEFT_STALE_JOB_MINUTES
    for job in SyncJob.objects.stale(now=now):
        # The conditional move loses quietly to a worker that beat or finished meanwhile.
        if job.status == SyncJob.Status.RUNNING:
            message = f"The worker stopped responding (no heartbeat for {minutes} minutes)."
            if job.fail(message):
                counts["failed"] += 1
        elif job.mark_cancelled():
            counts["cancelled"] += 1
    waiting = SyncJob.objects.waiting_long(now=now)
    queued = _queued_task_ids() if waiting.exists() else set()
    for job in waiting:
        # A pending job whose task is still in the broker is waiting its turn, not lost.
        if job.task_id not in queued:
            SyncJob.objects.filter(pk=job.pk).update(modified_at=now)
            _enqueue_task(job.pk)
            counts["requeued"] += 1
    return counts


def check_schedule(*, source_cls, cron: str) -> str:
    cron = schedules.validate_cron(cron)
    schedules.check_interval_allowed(cron, source_cls=source_cls, now=timezone.now())
    return cron
