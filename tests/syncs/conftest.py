"""Sync fixtures: stub connections created through the service, jobs run inline, small batches."""

from __future__ import annotations

import pytest

from connections import services
from connections.models import SourceConnection
from syncs.engine import run_sync_job
from syncs.models import SyncJob
from syncs.services import sync_job_enqueue

BATCH_SIZE = 4


@pytest.fixture(autouse=True)
def _small_batches(settings):
    """Small batches, so that a dozen entities already cross several batch boundaries."""
    settings.WEFT_SYNC_BATCH_SIZE = BATCH_SIZE


def stub_connection(tenant, **config) -> SourceConnection:
    return services.source_connection_create(
        organization=tenant.organization,
        data={
            "short_name": "stub",
            "readable_collection_id": tenant.collection.readable_id,
            "config": {"entity_count": 10, **config},
            "sync_immediately": False,
        },
    )


def reconfigure(source_connection: SourceConnection, **config) -> SourceConnection:
    return services.source_connection_update(
        source_connection=source_connection, data={"config": {**source_connection.config, **config}}
    )


def run(source_connection: SourceConnection, **options) -> SyncJob:
    """Queue a job for the connection and run it inline; returns the finished job."""
    job = sync_job_enqueue(sync=source_connection.sync, **options)
    run_sync_job(job.pk)
    return SyncJob.objects.get(pk=job.pk)


@pytest.fixture
def stub_a(org_a) -> SourceConnection:
    """Organization A's stub connection of 10 entities, not synced yet."""
    return stub_connection(org_a)
