"""Web page fixtures: a logged-in browser client for organization A, and stub connections."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from connections import services
from connections.models import SourceConnection
from syncs.engine import run_sync_job
from syncs.models import SyncJob
from syncs.services import sync_job_enqueue
from tests.connections.auth_provider_cast import composio, composio_a, github_repo  # noqa: F401
from tests.connections.oauth_helpers import world  # noqa: F401 - fixture
from tests.fakes.composio import composio_server  # noqa: F401 - fixture
from tests.fakes.github import github_server  # noqa: F401 - fixture
from tests.fakes.oauth2 import oauth_provider  # noqa: F401 - fixture


def user_of(tenant):
    return get_user_model().objects.get(username=f"owner@{tenant.organization.slug}.test")


@pytest.fixture
def web(org_a) -> Client:
    """A browser session of organization A's member."""
    client = Client()
    client.force_login(user_of(org_a))
    return client


def stub_connection(tenant, **config) -> SourceConnection:
    return services.source_connection_create(
        organization=tenant.organization,
        data={
            "short_name": "stub",
            "name": "Stub docs",
            "readable_collection_id": tenant.collection.readable_id,
            "config": {"entity_count": 3, **config},
            "sync_immediately": False,
        },
    )


def run_sync(source_connection: SourceConnection) -> SyncJob:
    job = sync_job_enqueue(sync=source_connection.sync)
    run_sync_job(job.pk)
    return SyncJob.objects.get(pk=job.pk)


@pytest.fixture
def connection_a(org_a) -> SourceConnection:
    """Organization A's stub connection, synced once (3 entities)."""
    source_connection = stub_connection(org_a)
    run_sync(source_connection)
    return SourceConnection.objects.with_sync().get(pk=source_connection.pk)


@pytest.fixture
def connection_b(org_b) -> SourceConnection:
    return stub_connection(org_b)
