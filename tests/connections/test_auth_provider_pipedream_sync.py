"""A source connection through Pipedream Connect: created, synced, and the account dying."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from connections import services
from connections.auth_providers.services import auth_provider_connection_create
from syncs.models import Entity, SyncJob
from tests.connections.auth_provider_cast import CLIENT_ID, CLIENT_SECRET, PROJECT_ID
from tests.syncs.conftest import run

# The engine writes differ by database: run on SQLite too.
pytestmark = [pytest.mark.django_db, pytest.mark.dbspecific]

PROVIDER_CONFIG = {"project_id": PROJECT_ID, "account_id": "apn_notes", "external_user_id": "u-7"}


@pytest.fixture
def notes_account(pipedream_server, notes_source):
    """A Pipedream account of the notes app whose key the notes source accepts."""
    return pipedream_server.add_account(
        "apn_notes",
        app=notes_source.short_name,
        external_user_id="u-7",
        credentials={"api_key": "notes-key"},
    )


@pytest.fixture
def notes_a(org_a, notes_account):
    auth_provider_connection_create(
        organization=org_a.organization,
        data={
            "name": "Pipedream",
            "readable_id": "pipedream-main",
            "short_name": "pipedream",
            "auth_fields": {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        },
    )
    return services.source_connection_create(
        organization=org_a.organization,
        data={
            "short_name": "test_ap_notes",
            "readable_collection_id": "acme-docs",
            "authentication": {
                "provider_readable_id": "pipedream-main",
                "provider_config": PROVIDER_CONFIG,
            },
            "sync_immediately": False,
        },
    )


def test_environment_defaults_to_production(notes_a):
    assert notes_a.provider_config == {**PROVIDER_CONFIG, "environment": "production"}


def test_sync_uses_the_key_pipedream_holds(notes_a):
    assert run(notes_a).status == SyncJob.Status.COMPLETED
    assert Entity.objects.filter(source_connection=notes_a).count() == 1


def test_dead_account_fails_the_job_as_gone(notes_a, notes_account):
    notes_account["dead"] = True
    cache.clear()
    job = run(notes_a)
    assert (job.status, job.error_category) == (SyncJob.Status.FAILED, "auth_provider_account_gone")


def test_revoked_client_fails_the_job_as_credentials_invalid(notes_a, pipedream_server):
    pipedream_server.clients.clear()
    cache.clear()
    job = run(notes_a)
    assert job.error_category == "auth_provider_credentials_invalid"
    assert CLIENT_SECRET not in job.error
