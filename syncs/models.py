"""Syncs (schedule and cursor), sync jobs (one run each) and the entities they write."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from connections.models import Collection, SourceConnection


class IllegalTransition(Exception):
    """A job was asked to move to a status its current status cannot reach."""


class Sync(models.Model):
    """How and when one source connection is synced: its cron schedule and incremental cursor."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    source_connection = models.OneToOneField(
        SourceConnection, on_delete=models.CASCADE, related_name="sync"
    )
    cron = models.CharField(max_length=100, null=True, blank=True)
    next_run = models.DateTimeField(null=True, blank=True, db_index=True)
    paused = models.BooleanField(default=False)
    pause_reason = models.CharField(max_length=255, blank=True)
    cursor = models.JSONField(default=dict, blank=True)
    cursor_updated_at = models.DateTimeField(null=True, blank=True)
    last_job = models.ForeignKey(
        "SyncJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Sync for {self.source_connection_id}"

    def compute_next_run(self, after: datetime | None = None) -> datetime | None:
        if not self.cron:
            return None
        from syncs.schedules import next_run_after

        return next_run_after(self.cron, after or timezone.now())


class SyncJobQuerySet(models.QuerySet):
    def stale(self, *, now: datetime) -> SyncJobQuerySet:
        """Running or cancelling jobs whose worker has not beaten the heartbeat for too long."""
        before = now - timedelta(minutes=settings.WEFT_STALE_JOB_MINUTES)
        active = (SyncJob.Status.RUNNING, SyncJob.Status.CANCELLING)
        return self.filter(status__in=active, heartbeat_at__lt=before)

    def waiting_long(self, *, now: datetime) -> SyncJobQuerySet:
        """Pending jobs untouched for a while: still queued behind other work, or lost."""
        before = now - timedelta(minutes=settings.WEFT_LOST_JOB_MINUTES)
        return self.filter(status=SyncJob.Status.PENDING, modified_at__lt=before)

    def stuck(self, *, now: datetime) -> SyncJobQuerySet:
        """What the sweeper looks at: stale running or cancelling jobs and long-waiting ones."""
        return self.stale(now=now) | self.waiting_long(now=now)


class SyncJob(models.Model):
    """One run of a sync. Its status only moves along the transitions in ``TRANSITIONS``."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        CANCELLING = "cancelling", "Cancelling"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    class Trigger(models.TextChoices):
        MANUAL = "manual", "Manual"
        SCHEDULE = "schedule", "Schedule"

    class SyncType(models.TextChoices):
        FULL = "full", "Full"
        INCREMENTAL = "incremental", "Incremental"

    class ErrorCategory(models.TextChoices):
        """Each is a failure of the credentials: the connection needs re-authentication."""

        OAUTH_CREDENTIALS_EXPIRED = "oauth_credentials_expired", "OAuth credentials expired"
        API_KEY_INVALID = "api_key_invalid", "API key invalid"
        AUTH_PROVIDER_ACCOUNT_GONE = "auth_provider_account_gone", "Auth provider account gone"
        AUTH_PROVIDER_CREDENTIALS_INVALID = (
            "auth_provider_credentials_invalid",
            "Auth provider credentials invalid",
        )

    ACTIVE_STATUSES = (Status.PENDING, Status.RUNNING, Status.CANCELLING)
    TERMINAL_STATUSES = (Status.COMPLETED, Status.FAILED, Status.CANCELLED)
    TRANSITIONS: dict[str, tuple[str, ...]] = {
        Status.PENDING: (Status.RUNNING, Status.CANCELLED),
        Status.RUNNING: (Status.COMPLETED, Status.FAILED, Status.CANCELLING),
        Status.CANCELLING: (Status.CANCELLED,),
        Status.COMPLETED: (),
        Status.FAILED: (),
        Status.CANCELLED: (),
    }
    MAX_ENTITY_FAILURES_KEPT = 100

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sync = models.ForeignKey(Sync, on_delete=models.CASCADE, related_name="jobs")
    source_connection = models.ForeignKey(
        SourceConnection, on_delete=models.CASCADE, related_name="sync_jobs"
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.MANUAL)
    sync_type = models.CharField(max_length=16, choices=SyncType.choices, default=SyncType.FULL)
    force_full_sync = models.BooleanField(default=False)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    modified_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    entities_inserted = models.PositiveIntegerField(default=0)
    entities_updated = models.PositiveIntegerField(default=0)
    entities_deleted = models.PositiveIntegerField(default=0)
    entities_kept = models.PositiveIntegerField(default=0)
    entities_skipped = models.PositiveIntegerField(default=0)
    entities_failed = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, null=True)
    error_category = models.CharField(
        max_length=64, choices=ErrorCategory.choices, blank=True, null=True
    )
    error_details = models.JSONField(null=True, blank=True)

    objects = SyncJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # The database, not a check-then-insert, guarantees one active job per connection.
            models.UniqueConstraint(
                fields=["sync"],
                condition=Q(status__in=["pending", "running", "cancelling"]),
                name="one_active_job_per_sync",
            )
        ]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="job_status_heartbeat")]

    def __str__(self) -> str:
        return f"Job {self.id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def duration_seconds(self) -> float | None:
        end = self.completed_at or self.failed_at
        if self.started_at is None or end is None:
            return None
        return round((end - self.started_at).total_seconds(), 3)

    @property
    def entities_total(self) -> int:
        return self.entities_inserted + self.entities_updated + self.entities_kept

    def _move(self, to: str, **fields: Any) -> bool:
        """Move to ``to`` if the row is still in the status this instance holds.

        The conditional UPDATE makes the transition safe against a concurrent worker or API
        call; returns False (and refreshes) if the row had moved on meanwhile.
        """
        if to not in self.TRANSITIONS[self.status]:
            raise IllegalTransition(f"A {self.status} job cannot become {to}")
        now = timezone.now()
        fields = {"status": to, "modified_at": now, **fields}
        moved = SyncJob.objects.filter(pk=self.pk, status=self.status).update(**fields)
        if moved:
            for name, value in fields.items():
                setattr(self, name, value)
        else:
            self.refresh_from_db()
        return bool(moved)

    def start(self) -> bool:
        now = timezone.now()
        return self._move(self.Status.RUNNING, started_at=now, heartbeat_at=now)

    def complete(self) -> bool:
        return self._move(self.Status.COMPLETED, completed_at=timezone.now())

    def fail(self, error: str, category: str | None = None, details: dict | None = None) -> bool:
        fields: dict[str, Any] = {"error": error[:10_000], "failed_at": timezone.now()}
        if category:
            fields["error_category"] = category
        if details is not None:
            fields["error_details"] = details
        return self._move(self.Status.FAILED, **fields)

    def request_cancel(self) -> bool:
        """A pending job is cancelled at once; a running one is asked to stop (cancelling)."""
        if self.status == self.Status.PENDING:
            return self._move(self.Status.CANCELLED, completed_at=timezone.now())
        return self._move(self.Status.CANCELLING)

    def mark_cancelled(self) -> bool:
        return self._move(self.Status.CANCELLED, completed_at=timezone.now())

    def record_progress(self, counts: dict[str, int]) -> str:
        """Add a batch's counters and beat the heartbeat; returns the job's current status."""
        updates: dict[str, Any] = {name: F(name) + value for name, value in counts.items() if value}
        now = timezone.now()
        SyncJob.objects.filter(pk=self.pk).update(heartbeat_at=now, modified_at=now, **updates)
        fresh = SyncJob.objects.filter(pk=self.pk).values_list("status", *counts.keys()).get()
        self.status = fresh[0]
        for name, value in zip(counts.keys(), fresh[1:], strict=True):
            setattr(self, name, value)
        self.heartbeat_at = now
        return self.status


class EntityQuerySet(models.QuerySet):
    def for_org(self, organization) -> EntityQuerySet:
        return self.filter(collection__organization=organization)


class Entity(models.Model):
    """One synced item of a source connection, with the text that search reads."""

    id = models.BigAutoField(primary_key=True)
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="entities")
    source_connection = models.ForeignKey(
        SourceConnection, on_delete=models.CASCADE, related_name="entities", db_index=False
    )
    entity_id = models.CharField(max_length=512)
    entity_type = models.CharField(max_length=128)
    name = models.CharField(max_length=1024, blank=True)
    text = models.TextField(blank=True)
    content_hash = models.CharField(max_length=64)
    breadcrumbs = models.JSONField(default=list, blank=True)
    fields = models.JSONField(default=dict, blank=True)
    web_url = models.CharField(max_length=2048, blank=True)
    url = models.CharField(max_length=2048, blank=True)
    source_created_at = models.DateTimeField(null=True, blank=True)
    source_updated_at = models.DateTimeField(null=True, blank=True)
    # Plain UUIDs, not foreign keys: bulk writes of millions of rows should not pay for
    # two more indexes, and jobs are only ever deleted with their connection.
    first_sync_job_id = models.UUIDField(null=True, blank=True)
    last_sync_job_id = models.UUIDField(null=True, blank=True)
    synced_at = models.DateTimeField(default=timezone.now)

    objects = EntityQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "entities"
        constraints = [
            models.UniqueConstraint(
                fields=["source_connection", "entity_type", "entity_id"],
                name="unique_entity_per_connection",
            )
        ]

    def __str__(self) -> str:
        return f"{self.entity_type}:{self.entity_id}"


class SearchChunk(models.Model):
    """A piece of an entity's text as the search index reads it.

    Full-text search lives beside this table in vendor-specific SQL (see migration 0003): a
    stored, GIN-indexed ``tsvector`` column on PostgreSQL, an FTS5 table kept by triggers on
    SQLite. ``embedding`` holds the configured embedder's float32 vector, when there is one.
    """

    id = models.BigAutoField(primary_key=True)
    # Indexed by the unique constraint below, which leads with it.
    entity = models.ForeignKey(
        Entity, on_delete=models.CASCADE, related_name="chunks", db_index=False
    )
    # Denormalised so a search touches one table before it has its top results.
    collection = models.ForeignKey(
        Collection, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    chunk_index = models.PositiveIntegerField()
    name = models.CharField(max_length=1024, blank=True)
    text = models.TextField(blank=True)
    embedding = models.BinaryField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entity", "chunk_index"], name="unique_chunk_index")
        ]
        indexes = [models.Index(fields=["collection"], name="chunk_collection")]

    def __str__(self) -> str:
        return f"chunk {self.chunk_index} of entity {self.entity_id}"
