"""/api/source-connections: create, list, get, patch, delete, run, jobs and cancel."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from connections.models import Credential, SourceConnection
from connections.sources.base import BaseSource, SourceAuthError, SourceField
from connections.sources.registry import _SOURCES
from syncs.engine import run_sync_job
from syncs.models import Entity, Sync, SyncJob

pytestmark = pytest.mark.django_db

URL = "/api/source-connections"


class KeyedSource(BaseSource):
    """Needs an API key; refuses the key "wrong" when checked live."""

    name = "Keyed"
    short_name = "test_api_keyed"
    auth_fields = (SourceField("api_key", "API key", required=True, is_secret=True),)

    def validate(self) -> None:
        if self.credentials["api_key"] == "wrong":
            raise SourceAuthError("the service says the key is revoked")

    def generate_entities(self):
        return iter(())


class BrowserOAuthSource(BaseSource):
    name = "Browser OAuth"
    short_name = "test_api_browser"
    auth_methods = ("oauth_browser",)
    oauth_type = "with_refresh"

    def generate_entities(self):
        return iter(())


@pytest.fixture
def test_sources(monkeypatch) -> None:
    for source in (KeyedSource, BrowserOAuthSource):
        monkeypatch.setitem(_SOURCES, source.short_name, source)


def create(client, **body):
    payload = {"short_name": "stub", "readable_collection_id": "acme-docs", **body}
    return client.post(URL, payload, format="json")


def created(client, **body) -> dict:
    response = create(client, **body)
    assert response.status_code == 200, response.content
    return response.json()


def job_of(source_connection_id: str) -> SyncJob:
    return SyncJob.objects.filter(source_connection_id=source_connection_id).first()


# --- Create -----------------------------------------------------------------------------------


def test_create_stub_needs_no_authentication(api, org_a):
    body = created(api, config={"entity_count": 3})
    assert body["auth"]["method"] == "direct" and body["auth"]["authenticated"] is True
    assert (body["name"], body["status"], body["config"]["entity_count"]) == (
        "Stub Connection",
        "active",
        3,
    )
    assert body["organization_id"] == str(org_a.organization.pk)
    assert not Credential.objects.exists()


def test_create_stub_with_empty_credentials(api):
    assert created(api, authentication={"credentials": {}})["auth"]["method"] == "direct"


def test_create_response_shows_the_pending_job(api):
    body = created(api)
    assert body["sync"]["last_job"]["status"] == "pending"
    assert body["sync"]["total_runs"] == 1
    assert SyncJob.objects.get().pk == uuid.UUID(body["sync"]["last_job"]["id"])


def test_create_without_sync_immediately_queues_nothing(api):
    body = created(api, sync_immediately=False)
    assert body["sync"]["last_job"] is None and not SyncJob.objects.exists()


def test_create_queues_the_job_only_after_commit(
    api, monkeypatch, django_capture_on_commit_callbacks
):
    queued: list = []
    monkeypatch.setattr("syncs.services._enqueue_task", queued.append)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        created(api)
    assert queued == [] and len(callbacks) == 1
    callbacks[0]()
    assert queued == [SyncJob.objects.get().pk]


def test_unknown_short_name_is_404(api):
    response = create(api, short_name="nope")
    assert (response.status_code, response.json()) == (404, {"detail": "Source 'nope' not found"})


@pytest.mark.parametrize("readable_collection_id", ["missing-docs", "globex-docs"])
def test_unknown_or_other_organizations_collection_is_404(api, org_b, readable_collection_id):
    response = create(api, readable_collection_id=readable_collection_id)
    assert (response.status_code, response.json()) == (404, {"detail": "Collection not found"})


@pytest.mark.parametrize(
    ("config", "field"),
    [({"entity_count": -1}, "entity_count"), ({"seed": "x"}, "seed"), ({"bogus": 1}, "bogus")],
)
def test_bad_config_is_422_naming_the_field(api, config, field):
    response = create(api, config=config)
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [["body", "config", field]]
    assert not SourceConnection.objects.exists()


def test_credentials_not_matching_the_source_fields_are_422(api, test_sources):
    response = create(api, short_name="test_api_keyed", authentication={"credentials": {}})
    assert response.status_code == 422
    loc = response.json()["detail"][0]["loc"]
    assert loc == ["body", "authentication", "credentials", "api_key"]


def test_unsupported_auth_method_is_400_naming_the_supported_ones(api):
    response = create(api, authentication={"access_token": "token-value"})
    assert response.status_code == 400
    assert response.json()["detail"] == (
        "Source stub does not support the oauth_token authentication method. "
        "Supported methods: [direct]"
    )


def test_oauth_browser_flow_of_a_source_without_a_provider_is_400(api, test_sources):
    response = create(api, short_name="test_api_browser")
    assert response.status_code == 400
    assert (
        response.json()["detail"] == "Source test_api_browser has no OAuth provider on this server."
    )


def test_credentials_refused_live_are_400_and_nothing_is_stored(api, test_sources):
    response = create(
        api, short_name="test_api_keyed", authentication={"credentials": {"api_key": "wrong"}}
    )
    assert response.status_code == 400
    assert response.json()["detail"] == (
        "Could not connect to Keyed: the service says the key is revoked"
    )
    assert not SourceConnection.objects.exists() and not Credential.objects.exists()


def test_credentials_are_stored_encrypted(api, test_sources):
    body = created(
        api, short_name="test_api_keyed", authentication={"credentials": {"api_key": "k-123456"}}
    )
    source_connection = SourceConnection.objects.get(pk=body["id"])
    assert source_connection.credential.secrets == {"api_key": "k-123456"}


# --- List, get, patch, delete -----------------------------------------------------------------


def test_list_filters_by_collection_with_skip_and_limit(api, org_a):
    from connections import services

    services.collection_create(organization=org_a.organization, name="Other", readable_id="other")
    for index in range(3):
        created(api, name=f"Docs {index}", sync_immediately=False)
    created(api, name="Elsewhere", readable_collection_id="other", sync_immediately=False)
    names = [item["name"] for item in api.get(f"{URL}?collection=acme-docs&skip=1&limit=2").json()]
    assert names == ["Docs 1", "Docs 0"]
    assert len(api.get(URL).json()) == 4


@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "skip=-1"])
def test_list_paging_out_of_range_is_422(api, query):
    assert api.get(f"{URL}?{query}").status_code == 422


def test_list_item_counts_entities(api):
    body = created(api, config={"entity_count": 3})
    run_sync_job(body["sync"]["last_job"]["id"])
    [item] = api.get(URL).json()
    assert (item["id"], item["entity_count"], item["status"]) == (body["id"], 3, "active")


def test_get_shows_schedule_sync_and_entities(api):
    body = created(api, config={"entity_count": 4})
    run_sync_job(body["sync"]["last_job"]["id"])
    detail = api.get(f"{URL}/{body['id']}").json()
    assert detail["sync"]["last_job"]["status"] == "completed"
    assert detail["entities"]["total_entities"] == 4
    assert {k: v["count"] for k, v in detail["entities"]["by_type"].items()} == {
        "stub_document": 2,
        "stub_note": 2,
    }


def test_patch_renames_and_describes(api):
    body = created(api, sync_immediately=False)
    patched = api.patch(
        f"{URL}/{body['id']}", {"name": "Renamed docs", "description": "Why"}, format="json"
    )
    assert (patched.json()["name"], patched.json()["description"]) == ("Renamed docs", "Why")


def test_patch_with_bad_config_is_422(api):
    body = created(api, sync_immediately=False)
    response = api.patch(f"{URL}/{body['id']}", {"config": {"entity_count": "many"}}, format="json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "config", "entity_count"]


def test_delete_returns_the_connection_and_removes_its_entities(api, test_sources):
    body = created(api, config={"entity_count": 3})
    run_sync_job(body["sync"]["last_job"]["id"])
    response = api.delete(f"{URL}/{body['id']}")
    assert (response.status_code, response.json()["id"]) == (200, body["id"])
    assert response.json()["entities"]["total_entities"] == 3
    assert not SourceConnection.objects.exists() and not SyncJob.objects.exists()
    assert not Entity.objects.exists()


def test_delete_removes_the_credential(api, test_sources):
    body = created(
        api, short_name="test_api_keyed", authentication={"credentials": {"api_key": "k-123456"}}
    )
    api.delete(f"{URL}/{body['id']}")
    assert not Credential.objects.exists()


# --- Run, jobs, cancel ------------------------------------------------------------------------


def test_run_returns_the_new_job(api):
    body = created(api, sync_immediately=False)
    response = api.post(f"{URL}/{body['id']}/run")
    job = response.json()
    assert (response.status_code, job["status"], job["source_connection_id"]) == (
        200,
        "pending",
        body["id"],
    )


def test_run_with_force_full_sync(api):
    body = created(api, sync_immediately=False)
    api.post(f"{URL}/{body['id']}/run?force_full_sync=true")
    assert job_of(body["id"]).force_full_sync is True


@pytest.mark.parametrize("status", ["pending", "running", "cancelling"])
def test_run_while_job_active_is_409(api, status):
    body = created(api)
    SyncJob.objects.update(status=status)
    response = api.post(f"{URL}/{body['id']}/run")
    assert response.status_code == 409
    assert SyncJob.objects.count() == 1


def test_jobs_are_newest_first_with_limit(api):
    body = created(api, config={"entity_count": 1})
    ids = []
    for _ in range(3):
        ids.append(job_of(body["id"]).pk)
        run_sync_job(ids[-1])
        api.post(f"{URL}/{body['id']}/run")
    jobs = api.get(f"{URL}/{body['id']}/jobs?limit=3").json()
    assert [job["status"] for job in jobs] == ["pending", "completed", "completed"]
    assert [job["id"] for job in jobs[1:]] == [str(ids[2]), str(ids[1])]


def cancel(api, body: dict):
    return api.post(f"{URL}/{body['id']}/jobs/{job_of(body['id']).pk}/cancel")


def test_cancel_pending_job_is_cancelled(api):
    body = created(api)
    response = cancel(api, body)
    assert (response.status_code, response.json()["status"]) == (200, "cancelled")


def test_cancel_running_job_is_cancelling(api):
    body = created(api)
    job_of(body["id"]).start()
    response = cancel(api, body)
    assert (response.status_code, response.json()["status"]) == (200, "cancelling")
    assert api.get(f"{URL}/{body['id']}").json()["status"] == "syncing"


@pytest.mark.parametrize("status", ["completed", "failed", "cancelled", "cancelling"])
def test_cancel_finished_job_is_409(api, status):
    body = created(api)
    SyncJob.objects.update(status=status)
    response = cancel(api, body)
    assert response.status_code == 409
    assert response.json() == {"detail": f"Cannot cancel job in {status} state"}


@pytest.mark.parametrize("job_id", [str(uuid.uuid4()), "not-a-uuid"])
def test_cancel_unknown_job_is_404(api, job_id):
    body = created(api)
    assert api.post(f"{URL}/{body['id']}/jobs/{job_id}/cancel").status_code == 404


# --- Organizations ----------------------------------------------------------------------------

OBJECT_ENDPOINTS = [
    ("get", ""),
    ("patch", ""),
    ("delete", ""),
    ("post", "/run"),
    ("get", "/jobs"),
    ("post", "/jobs/{job}/cancel"),
]


@pytest.mark.parametrize(("method", "path"), OBJECT_ENDPOINTS)
def test_other_org_connection_is_404(api, org_b, method, path):
    other = created(org_b.client, readable_collection_id="globex-docs")
    url = f"{URL}/{other['id']}" + path.format(job=job_of(other["id"]).pk)
    response = getattr(api, method)(url, {"name": "Hijacked"}, format="json")
    assert response.status_code == 404
    assert SourceConnection.objects.get(pk=other["id"]).name == "Stub Connection"
    assert job_of(other["id"]).status == "pending"


@pytest.mark.parametrize("source_connection_id", ["not-a-uuid", str(uuid.uuid4())])
def test_unknown_connection_is_404(api, source_connection_id):
    assert api.get(f"{URL}/{source_connection_id}").status_code == 404


def test_other_org_job_under_own_connection_is_404(api, org_b):
    own = created(api)
    other = created(org_b.client, readable_collection_id="globex-docs")
    url = f"{URL}/{own['id']}/jobs/{job_of(other['id']).pk}/cancel"
    assert api.post(url).status_code == 404
    assert job_of(other["id"]).status == "pending"


def test_list_shows_only_own_connections(api, org_b):
    created(org_b.client, readable_collection_id="globex-docs")
    assert api.get(URL).json() == []


# --- Status and totals ------------------------------------------------------------------------


def test_sync_totals_count_all_jobs(api):
    body = created(api, config={"entity_count": 1})
    run_sync_job(job_of(body["id"]).pk)
    api.post(f"{URL}/{body['id']}/run")
    job = job_of(body["id"])
    job.start()
    job.fail("boom")
    api.post(f"{URL}/{body['id']}/run")
    run_sync_job(job_of(body["id"]).pk)
    sync = api.get(f"{URL}/{body['id']}").json()["sync"]
    assert (sync["total_runs"], sync["successful_runs"], sync["failed_runs"]) == (3, 2, 1)


def test_failed_job_makes_status_error(api):
    body = created(api)
    job = job_of(body["id"])
    job.start()
    job.fail("the source broke")
    detail = api.get(f"{URL}/{body['id']}").json()
    assert (detail["status"], detail["sync"]["last_job"]["error"]) == ("error", "the source broke")
    assert detail["error_category"] is None


def test_credentials_failure_makes_status_needs_reauth_with_a_message(api):
    body = created(api)
    job = job_of(body["id"])
    job.start()
    job.fail("401", SyncJob.ErrorCategory.API_KEY_INVALID)
    detail = api.get(f"{URL}/{body['id']}").json()
    assert (detail["status"], detail["error_category"]) == ("needs_reauth", "api_key_invalid")
    assert "rejected the credentials" in detail["error_message"]


def test_paused_connection_is_inactive(api):
    from syncs.services import sync_pause

    body = created(api, sync_immediately=False)
    sync_pause(sync=SourceConnection.objects.get(pk=body["id"]).sync, reason="maintenance")
    assert api.get(f"{URL}/{body['id']}").json()["status"] == "inactive"


def test_run_of_a_connection_that_needs_reauth_is_400(api):
    body = created(api)
    job = job_of(body["id"])
    job.start()
    job.fail("401", SyncJob.ErrorCategory.API_KEY_INVALID)
    Sync.objects.update(paused=True)
    response = api.post(f"{URL}/{body['id']}/run")
    assert response.status_code == 400
    assert "needs re-authentication" in response.json()["detail"]


def test_list_queries_do_not_grow_with_connections(api, django_assert_max_num_queries):
    created(api)
    with CaptureQueriesContext(connection) as queries:
        api.get(URL)
    with_one = len(queries)  # now: the next request clears the connection's query log
    for index in range(20):
        created(api, name=f"Docs {index}")
    with django_assert_max_num_queries(with_one):
        assert len(api.get(URL).json()) == 21


def test_patch_with_empty_credentials_stores_nothing_for_a_source_without_any(api):
    body = created(api, sync_immediately=False)
    response = api.patch(
        f"{URL}/{body['id']}", {"authentication": {"credentials": {}}}, format="json"
    )
    assert response.status_code == 200
    assert not Credential.objects.exists()
