"""Search fixtures: stub connections synced inline, and entities written with chosen text."""

from __future__ import annotations

from datetime import datetime

import pytest

from connections import services
from connections.models import SourceConnection
from syncs import indexing
from syncs.engine import run_sync_job
from syncs.models import Entity, SyncJob
from syncs.services import sync_job_enqueue


def stub_connection(tenant, **config) -> SourceConnection:
    return services.source_connection_create(
        organization=tenant.organization,
        data={
            "short_name": "stub",
            "readable_collection_id": tenant.collection.readable_id,
            "config": config,
            "sync_immediately": False,
        },
    )


def run_sync(source_connection: SourceConnection) -> SyncJob:
    job = sync_job_enqueue(sync=source_connection.sync)
    run_sync_job(job.pk)
    return SyncJob.objects.get(pk=job.pk)


def write_entities(source_connection: SourceConnection, *docs: dict) -> list[Entity]:
    """Write entities as the engine does (rows, then the index hook); each doc names its fields."""
    rows = [
        Entity(
            collection_id=source_connection.collection_id,
            source_connection=source_connection,
            entity_id=doc["entity_id"],
            entity_type=doc.get("entity_type", "stub_document"),
            name=doc.get("name", doc["entity_id"]),
            text=doc.get("text", ""),
            content_hash="-",
            breadcrumbs=doc.get("breadcrumbs", []),
            fields=doc.get("fields", {}),
            web_url=doc.get("web_url", ""),
            url=doc.get("url", ""),
            source_created_at=doc.get("created_at"),
            source_updated_at=doc.get("updated_at"),
            last_sync_job_id=doc.get("last_sync_job_id"),
        )
        for doc in docs
    ]
    Entity.objects.bulk_create(rows)
    indexing.entities_written(source_connection, [(row.entity_type, row.entity_id) for row in rows])
    return rows


@pytest.fixture
def source_connection(org_a) -> SourceConnection:
    """Organization A's stub connection, with no entities yet."""
    return stub_connection(org_a, entity_count=0)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)
