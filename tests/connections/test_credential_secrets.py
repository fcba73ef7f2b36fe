"""A secret given at creation never appears in an API response, the admin, a log line, a task
argument or an exception message; at rest it is ciphertext."""

from __future__ import annotations

import logging

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_q.conf import Conf
from django_q.models import OrmQ, Task
from django_q.signing import SignedPackage

from connections import services
from connections.exceptions import InvalidRequest
from connections.models import Credential, SourceConnection
from connections.sources.base import (
    BaseSource,
    SourceAuthError,
    SourceEntity,
    SourceError,
    SourceField,
)
from connections.sources.registry import _SOURCES
from syncs.engine import run_sync_job
from syncs.models import SyncJob

pytestmark = pytest.mark.django_db

SECRET = "sk-live-7f3a9c2e51d84b06"
REFUSED = "sk-refused-90c1d2e3f4a5"
URL = "/api/source-connections"


class CarelessSource(BaseSource):
    """A source that puts the key in its error messages, as careless sources do."""

    name = "Careless"
    short_name = "test_secrets_careless"
    auth_fields = (
        SourceField("api_key", "API key", required=True, is_secret=True),
        SourceField("account", "Account", required=True),
    )
    config_fields = (
        SourceField("fail_with", "Fail with", enum_values=("", "auth", "error", "entity")),
    )

    def validate(self) -> None:
        if self.credentials["api_key"] == REFUSED:
            raise SourceAuthError(f"401 for key {REFUSED}")

    def generate_entities(self):
        failure = self.config.get("fail_with")
        if failure == "auth":
            raise SourceAuthError(f"401: key {self.credentials['api_key']} was revoked")
        if failure == "error":
            raise SourceError(f"GET https://api.invalid/items?key={self.credentials['api_key']}")
        if failure == "entity":
            self.entity_failures.append(("item-2", f"403 for key {self.credentials['api_key']}"))
        yield SourceEntity("item-1", "item", "Item one", text="Public text.")


@pytest.fixture(autouse=True)
def careless(monkeypatch) -> None:
    monkeypatch.setitem(_SOURCES, CarelessSource.short_name, CarelessSource)


def create(client, api_key: str = SECRET, **body):
    payload = {
        "short_name": CarelessSource.short_name,
        "readable_collection_id": "acme-docs",
        "authentication": {"credentials": {"api_key": api_key, "account": "acme"}},
        **body,
    }
    return client.post(URL, payload, format="json")


def created(client, **body) -> dict:
    response = create(client, **body)
    assert response.status_code == 200, response.content
    return response.json()


def run_last_job(body: dict) -> SyncJob:
    job = SyncJob.objects.filter(source_connection_id=body["id"]).first()
    run_sync_job(job.pk)
    return SyncJob.objects.get(pk=job.pk)


def test_no_api_response_contains_the_secret(api):
    body = created(api)
    run_last_job(body)
    source_connection_url = f"{URL}/{body['id']}"
    responses = [
        api.get(URL),
        api.get(source_connection_url),
        api.patch(source_connection_url, {"name": "Renamed"}, format="json"),
        api.post(f"{source_connection_url}/run"),
        api.get(f"{source_connection_url}/jobs"),
        api.post(f"{source_connection_url}/jobs/{SyncJob.objects.first().pk}/cancel"),
        api.delete(source_connection_url),
    ]
    assert [r.status_code for r in responses] == [200] * len(responses)
    assert SECRET not in str(body)
    for response in responses:
        assert SECRET not in response.content.decode()


@pytest.mark.parametrize("failure", ["auth", "error"])
def test_job_errors_do_not_repeat_the_secret(api, failure):
    body = created(api, config={"fail_with": failure})
    job = run_last_job(body)
    assert job.status == "failed" and "[redacted]" in job.error
    assert SECRET not in job.error
    assert SECRET not in api.get(f"{URL}/{body['id']}/jobs").content.decode()


def test_entity_failure_reasons_do_not_repeat_the_secret(api):
    body = created(api, config={"fail_with": "entity"})
    job = run_last_job(body)
    assert job.error_details == {
        "entity_failures": [{"entity_id": "item-2", "reason": "403 for key [redacted]"}]
    }
    assert SECRET not in api.get(f"{URL}/{body['id']}/jobs").content.decode()


def test_live_validation_failure_does_not_repeat_the_secret(api):
    response = create(api, api_key=REFUSED)
    assert response.status_code == 400
    assert response.json()["detail"] == "Could not connect to Careless: 401 for key [redacted]"


def test_validate_exception_message_does_not_contain_the_secret():
    with pytest.raises(InvalidRequest) as raised:
        services.validate_live(
            CarelessSource, credentials={"api_key": REFUSED, "account": "acme"}, config={}
        )
    assert REFUSED not in str(raised.value) and REFUSED not in raised.value.detail


def test_no_log_line_contains_the_secret(api, caplog, django_capture_on_commit_callbacks):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.db.backends")
    with CaptureQueriesContext(connection):  # SQL is logged too, at DEBUG, while capturing
        with django_capture_on_commit_callbacks(execute=True):
            body = created(api, config={"fail_with": "error"})
        run_last_job(body)
        create(api, api_key=REFUSED)
    assert any("Sync job" in r.getMessage() for r in caplog.records)
    assert any("INSERT" in r.getMessage() for r in caplog.records)
    assert SECRET not in caplog.text and REFUSED not in caplog.text


def test_queued_task_arguments_carry_only_the_job_id(api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        body = created(api)
    [payload] = OrmQ.objects.values_list("payload", flat=True)
    package = SignedPackage.loads(payload)
    job = SyncJob.objects.get(source_connection_id=body["id"])
    assert (package["func"], package["args"], package["kwargs"]) == (
        "syncs.tasks.run_sync_job",
        (str(job.pk),),
        {},
    )
    assert SECRET not in str(package)


def test_finished_task_record_does_not_contain_the_secret(
    api, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(Conf, "SYNC", True)  # django-q2 runs the task inline and records it
    with django_capture_on_commit_callbacks(execute=True):
        created(api, config={"fail_with": "auth"})
    task = Task.objects.get()
    assert task.success and task.result == "failed"
    assert SECRET not in str((task.name, task.func, task.args, task.kwargs, task.result))


def test_admin_pages_of_every_registered_model_do_not_contain_the_secret(
    api, admin_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        body = created(api, config={"fail_with": "auth"})
    run_last_job(body)
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        pages = [reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")]
        for pk in model_admin.get_queryset(None).values_list("pk", flat=True)[:5]:
            pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk]))
        for page in pages:
            response = admin_client.get(page)
            assert response.status_code == 200, page
            assert SECRET not in response.content.decode(), page


def test_credential_admin_never_shows_the_payload(admin_client, api):
    created(api)
    credential = Credential.objects.get()
    url = reverse("admin:connections_credential_change", args=[credential.pk])
    content = admin_client.get(url).content.decode()
    assert CarelessSource.short_name in content
    assert "payload" not in content.lower() and credential.encrypted_payload not in content


def test_stored_payload_is_ciphertext(api):
    created(api)
    [stored] = Credential.objects.values_list("encrypted_payload", flat=True)
    assert SECRET not in stored and "api_key" not in stored
    assert Credential.objects.get().secrets == {"api_key": SECRET, "account": "acme"}


def test_str_of_credential_and_connection_do_not_contain_the_secret(api):
    body = created(api)
    source_connection = SourceConnection.objects.get(pk=body["id"])
    assert SECRET not in str(source_connection) + str(source_connection.credential)
