"""Syncs of auth-provider connections: the account goes away or the API key is refused,
the job fails with that category, the connection needs re-authentication, and it recovers."""

from __future__ import annotations

import pytest

from connections.models import SourceConnection
from syncs.models import Entity, SyncJob
from tests.connections.auth_provider_cast import (
    ACCOUNT,
    VALID_TOKEN,
    github_via_composio,
)
from tests.syncs.conftest import run

# The engine writes differ by database: run on SQLite too.
pytestmark = [pytest.mark.django_db, pytest.mark.dbspecific]

URL = "/api/source-connections"


@pytest.fixture
def synced(org_a, github_repo, composio_a) -> SourceConnection:
    """Organization A's GitHub connection through Composio, synced once."""
    source_connection = github_via_composio(org_a, github_repo)
    assert run(source_connection).status == SyncJob.Status.COMPLETED
    return source_connection


def refuse_key(composio) -> None:
    composio.api_keys.clear()


def test_first_sync_completes_with_provider_token(synced):
    assert Entity.objects.filter(source_connection=synced).count() > 0


def test_account_gone_fails_job_with_category(synced, composio):
    del composio.accounts[ACCOUNT]
    job = _run_fresh(synced)
    assert job.status == SyncJob.Status.FAILED
    assert job.error_category == "auth_provider_account_gone"
    assert "has no account 'ca_github1'" in job.error


def _run_fresh(source_connection: SourceConnection) -> SyncJob:
    """Run after the cached credentials went stale, so the provider is asked again."""
    from django.core.cache import cache

    cache.clear()
    return run(source_connection)


def test_refused_api_key_fails_job_with_category(synced, composio):
    refuse_key(composio)
    job = _run_fresh(synced)
    assert (job.status, job.error_category) == (
        SyncJob.Status.FAILED,
        "auth_provider_credentials_invalid",
    )


def test_account_gone_needs_reauth_with_provider_details(api, synced, composio):
    del composio.accounts[ACCOUNT]
    _run_fresh(synced)
    body = api.get(f"{URL}/{synced.id}").json()
    assert body["status"] == "needs_reauth"
    assert body["error_category"] == "auth_provider_account_gone"
    assert (body["provider_short_name"], body["provider_settings_url"]) == (
        "composio",
        "https://platform.composio.dev",
    )
    assert "no longer exists" in body["error_message"]


def test_refusal_pauses_the_schedule(synced, composio):
    refuse_key(composio)
    _run_fresh(synced)
    synced.sync.refresh_from_db()
    assert synced.sync.paused is True


def test_expired_account_counts_as_gone(synced, composio):
    composio.accounts[ACCOUNT]["status"] = "EXPIRED"
    job = _run_fresh(synced)
    assert job.error_category == "auth_provider_account_gone"
    assert "is expired" in job.error


def test_provider_outage_is_an_error_not_reauth(synced, composio, monkeypatch):
    from connections.auth_providers import base
    from connections.sources.http import RetryPolicy

    monkeypatch.setattr(base, "PROVIDER_RETRY_POLICY", RetryPolicy(max_attempts=2, backoff_base=0))
    composio.fail_next(503, times=2)
    job = _run_fresh(synced)
    assert (job.status, job.error_category) == (SyncJob.Status.FAILED, None)
    synced.refresh_from_db()
    assert synced.status == SourceConnection.Status.ERROR


def test_patch_with_new_account_recovers_and_keeps_entities(api, synced, composio):
    before = set(Entity.objects.filter(source_connection=synced).values_list("id", flat=True))
    del composio.accounts[ACCOUNT]
    _run_fresh(synced)
    composio.add_account("ca_new", credentials={"access_token": VALID_TOKEN})
    body = {"authentication": {"provider_config": {"account_id": "ca_new"}}}
    response = api.patch(f"{URL}/{synced.id}", body, format="json")
    assert (response.status_code, response.json()["status"]) == (200, "active")
    synced.sync.refresh_from_db()
    assert synced.sync.paused is False
    assert run(synced).status == SyncJob.Status.COMPLETED
    after = set(Entity.objects.filter(source_connection=synced).values_list("id", flat=True))
    assert after == before


def test_put_of_new_api_key_resumes_refused_connections(api, synced, composio):
    refuse_key(composio)
    _run_fresh(synced)
    composio.api_keys.add("comp_rotated_key_0001")
    body = {"auth_fields": {"api_key": "comp_rotated_key_0001"}}
    assert api.put("/api/auth-providers/composio-main", body, format="json").status_code == 200
    synced.refresh_from_db()
    synced.sync.refresh_from_db()
    assert (synced.status, synced.sync.paused) == (SourceConnection.Status.ACTIVE, False)
    assert run(synced).status == SyncJob.Status.COMPLETED


def test_put_of_new_api_key_leaves_gone_accounts_needing_reauth(api, synced, composio):
    del composio.accounts[ACCOUNT]
    _run_fresh(synced)
    body = {"auth_fields": {"api_key": composio.api_keys.copy().pop()}}
    assert api.put("/api/auth-providers/composio-main", body, format="json").status_code == 200
    assert api.get(f"{URL}/{synced.id}").json()["status"] == "needs_reauth"


def test_refusal_keeps_secrets_out_of_job_and_logs(synced, composio, caplog):
    from tests.connections.auth_provider_cast import VALID_API_KEY

    refuse_key(composio)
    job = _run_fresh(synced)
    assert VALID_API_KEY not in job.error and VALID_API_KEY not in caplog.text
    assert VALID_TOKEN not in caplog.text
