"""OAuth connections over time in the sync engine: refresh mid-run, refusal, re-authentication."""

from __future__ import annotations

import pytest

from connections.models import SourceConnection
from syncs.engine import run_sync_job
from syncs.models import Entity, SyncJob
from syncs.services import sync_job_enqueue
from tests.connections.oauth_helpers import FILES, authorize, create

pytestmark = pytest.mark.django_db


def connect(api, world, tenant) -> SourceConnection:
    """Create, authorize in the "browser", claim: the first sync is queued."""
    created = create(api, world, tenant)
    authorize(created["auth"]["auth_url"])
    url = f"/api/source-connections/{created['id']}/verify-oauth"
    claim = {"claim_token": created["auth"]["claim_token"]}
    assert api.post(url, claim, format="json").status_code == 200
    return SourceConnection.objects.with_sync().get(pk=created["id"])


def run_next(source_connection: SourceConnection) -> SyncJob:
    """Run the pending job, or queue and run a new one."""
    job = SyncJob.objects.filter(source_connection=source_connection, status="pending").first()
    job = job or sync_job_enqueue(sync=source_connection.sync)
    run_sync_job(job.pk)
    return SyncJob.objects.get(pk=job.pk)


def detail(api, source_connection) -> dict:
    return api.get(f"/api/source-connections/{source_connection.pk}").json()


def test_first_sync_after_the_claim_completes(api, world, org_a):
    job = run_next(connect(api, world, org_a))
    assert job.status == SyncJob.Status.COMPLETED, job.error
    assert job.entities_inserted >= len(FILES)


def test_a_token_rejected_mid_run_is_refreshed_once_and_the_run_goes_on(api, world, org_a):
    source_connection = connect(api, world, org_a)
    world.provider.expire_access_tokens()  # GitHub now answers 401 to the stored token
    job = run_next(source_connection)
    assert job.status == SyncJob.Status.COMPLETED, job.error
    assert world.provider.refresh_count == 1
    token = SourceConnection.objects.get(pk=source_connection.pk).credential.secrets
    assert world.provider.token_is_valid(token["access_token"])


def test_a_token_about_to_expire_is_refreshed_before_the_run(api, world, org_a):
    source_connection = connect(api, world, org_a)
    credential = source_connection.credential
    credential.expires_at = credential.created_at  # long past
    credential.save(update_fields=["expires_at"])
    assert run_next(source_connection).status == SyncJob.Status.COMPLETED
    assert world.provider.refresh_count == 1


def test_revoked_authorization_needs_reauth_and_pauses_the_schedule(api, world, org_a):
    source_connection = connect(api, world, org_a)
    world.provider.revoke_everything()
    job = run_next(source_connection)
    assert (job.status, job.error_category) == ("failed", "oauth_credentials_expired")
    assert "refused to refresh" in job.error
    body = detail(api, source_connection)
    assert body["status"] == "needs_reauth" and "Re-authenticate" in body["error_message"]
    source_connection.sync.refresh_from_db()
    assert source_connection.sync.paused


def test_a_401_that_survives_the_refresh_needs_reauth(api, world, org_a):
    source_connection = connect(api, world, org_a)
    world.github.token_check = lambda token: False  # GitHub refuses every token now
    job = run_next(source_connection)
    assert (job.status, job.error_category) == ("failed", "oauth_credentials_expired")
    assert world.provider.refresh_count == 1
    assert detail(api, source_connection)["status"] == "needs_reauth"


def test_reauthentication_resumes_the_schedule_and_keeps_the_entities(api, world, org_a):
    source_connection = connect(api, world, org_a)
    run_next(source_connection)
    synced = Entity.objects.filter(source_connection=source_connection).count()
    world.provider.revoke_everything()
    run_next(source_connection)
    url = f"/api/source-connections/{source_connection.pk}/reinitiate-oauth"
    fresh = api.post(url, format="json").json()["auth"]
    authorize(fresh["auth_url"])
    assert detail(api, source_connection)["status"] == "active"
    source_connection.sync.refresh_from_db()
    assert not source_connection.sync.paused
    assert Entity.objects.filter(source_connection=source_connection).count() == synced
    job = run_next(source_connection)
    assert job.status == SyncJob.Status.COMPLETED and job.entities_inserted == 0
