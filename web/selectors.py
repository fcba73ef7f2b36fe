"""Read queries shaped for the pages; each page makes a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from connections.models import (
    ApiKey,
    AuthProviderConnection,
    Collection,
    Organization,
    SourceConnection,
)
from connections.selectors import (
    collection_status,
    collections_with_connections,
    entity_counts,
    entity_summary,
    job_totals,
)
from connections.sources.base import BaseSource
from connections.sources.registry import all_sources
from syncs import schedules
from syncs.models import Entity, SyncJob

JOB_HISTORY_LENGTH = 30
NEXT_RUNS_SHOWN = 5


def job_finished_at(job: SyncJob | None) -> datetime | None:
    if job is None:
        return None
    return job.completed_at or job.failed_at or job.started_at or job.created_at


# --- Dashboard -------------------------------------------------------------------------------


@dataclass
class CollectionRow:
    collection: Collection
    status: str
    connection_count: int
    entity_count: int
    last_job: SyncJob | None

    @property
    def last_sync_at(self) -> datetime | None:
        return job_finished_at(self.last_job)


def dashboard_rows(organization: Organization) -> list[CollectionRow]:
    collections = list(collections_with_connections(Collection.objects.for_org(organization)))
    counts = dict(
        Entity.objects.filter(collection__in=collections)
        .values_list("collection_id")
        .annotate(count=Count("id"))
    )
    return [
        CollectionRow(
            collection=collection,
            status=collection_status(collection),
            connection_count=len(collection.source_connections.all()),
            entity_count=counts.get(collection.pk, 0),
            last_job=_latest_job(collection.source_connections.all()),
        )
        for collection in collections
    ]


def _latest_job(source_connections) -> SyncJob | None:
    jobs = [sc.last_job for sc in source_connections if sc.last_job is not None]
    return max(jobs, key=lambda job: job.created_at, default=None)


# --- Collection page -------------------------------------------------------------------------


@dataclass
class ConnectionRow:
    source_connection: SourceConnection
    entity_count: int

    @property
    def last_sync_at(self) -> datetime | None:
        return job_finished_at(self.source_connection.last_job)


def collection_connections(collection: Collection) -> list[ConnectionRow]:
    connections = list(
        SourceConnection.objects.filter(collection=collection).with_sync().order_by("name")
    )
    counts = entity_counts([sc.pk for sc in connections])
    return [ConnectionRow(sc, counts.get(sc.pk, 0)) for sc in connections]


def search_filter_choices(rows: list[ConnectionRow]) -> dict[str, list[tuple[str, str]]]:
    """The sources and entity types a collection's search can be narrowed to."""
    sources: dict[str, str] = {}
    entity_types: set[str] = set()
    for row in rows:
        source_cls = row.source_connection.source_class
        if source_cls is not None:
            sources[source_cls.short_name] = source_cls.name
            entity_types.update(source_cls.entity_types)
    return {
        "sources": sorted(sources.items(), key=lambda pair: pair[1].lower()),
        "entity_types": [(name, name) for name in sorted(entity_types)],
    }


# --- Add a source ----------------------------------------------------------------------------


def sources_matching(query: str = "") -> list[type[BaseSource]]:
    """Sources whose name, short name, description or a label contains every word typed."""
    words = query.lower().split()
    return [
        source_cls
        for source_cls in all_sources()
        if all(word in _searchable_text(source_cls) for word in words)
    ]


def _searchable_text(source_cls: type[BaseSource]) -> str:
    parts = [source_cls.name, source_cls.short_name, source_cls.description, *source_cls.labels]
    return " ".join(parts).lower()


# --- Connection page -------------------------------------------------------------------------


@dataclass
class JobProgress:
    """How far a job has come. ``expected`` is what the last completed run processed, the
    best estimate there is: a source does not say in advance how many entities it has."""

    job: SyncJob
    expected: int | None

    @property
    def processed(self) -> int:
        job = self.job
        return job.entities_total + job.entities_skipped + job.entities_failed

    @property
    def is_active(self) -> bool:
        return self.job.is_active

    @property
    def percent(self) -> int | None:
        """100 once finished; an estimate below 100 while running; None when unknown."""
        if not self.is_active:
            return 100
        if self.job.status == SyncJob.Status.PENDING:
            return 0
        if not self.expected:
            return None
        return min(99, self.processed * 100 // self.expected)


def job_progress(source_connection: SourceConnection) -> JobProgress | None:
    job = SyncJob.objects.filter(source_connection=source_connection).order_by("-created_at")
    latest = job.first()
    if latest is None:
        return None
    previous = (
        SyncJob.objects.filter(
            source_connection=source_connection,
            status=SyncJob.Status.COMPLETED,
            created_at__lt=latest.created_at,
        )
        .order_by("-created_at")
        .first()
    )
    expected = None
    if previous is not None:
        expected = previous.entities_total + previous.entities_skipped + previous.entities_failed
    return JobProgress(latest, expected)


def job_history(source_connection: SourceConnection) -> list[SyncJob]:
    """The last jobs, newest first."""
    return list(
        SyncJob.objects.filter(source_connection=source_connection).order_by("-created_at")[
            :JOB_HISTORY_LENGTH
        ]
    )


def schedule_preview(cron: str | None, now: datetime | None = None) -> dict[str, Any]:
    """A schedule's plain-words description and its next runs (none for a manual schedule)."""
    now = now or timezone.now()
    return {
        "cron": cron,
        "description": schedules.describe_cron(cron),
        "next_runs": schedules.next_runs(cron, now, NEXT_RUNS_SHOWN) if cron else [],
    }


def connection_detail(source_connection: SourceConnection) -> dict[str, Any]:
    sync = source_connection.sync
    return {
        "entities": entity_summary(source_connection),
        "jobs": job_history(source_connection),
        "totals": job_totals(sync.pk),
        "schedule": schedule_preview(sync.cron),
    }


# --- API keys --------------------------------------------------------------------------------


def api_keys_of(organization: Organization) -> list[ApiKey]:
    """Usable keys first, newest first within each group."""
    now = timezone.now()
    usable = Q(revoked_at__isnull=True, expires_at__gt=now)
    keys = ApiKey.objects.filter(organization=organization).select_related("created_by")
    return [*keys.filter(usable), *keys.exclude(usable)]


def provider_accounts_for(
    organization: Organization, source_cls: type[BaseSource]
) -> list[AuthProviderConnection]:
    """The organization's auth-provider connections that can serve this source."""
    from connections.auth_providers.registry import get_provider, supports

    accounts = AuthProviderConnection.objects.filter(organization=organization).order_by("name")
    return [
        account
        for account in accounts
        if (provider_cls := get_provider(account.short_name)) and supports(provider_cls, source_cls)
    ]
