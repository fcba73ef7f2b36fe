"""POST/PATCH /api/source-connections with ``{"provider_readable_id", "provider_config"}``."""

from __future__ import annotations

import pytest

from connections.models import Credential, SourceConnection
from syncs.models import SyncJob
from tests.connections.auth_provider_cast import (
    ACCOUNT,
    PROVIDER_CONFIG,
    VALID_TOKEN,
    github_body,
    github_via_composio,
)

pytestmark = pytest.mark.django_db

URL = "/api/source-connections"


def create(api, body: dict):
    return api.post(URL, body, format="json")


def test_create_through_composio_stores_no_credential(api, github_repo, composio_a):
    response = create(api, github_body(github_repo))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["auth"]["method"] == "auth_provider" and body["auth"]["authenticated"] is True
    assert body["auth"]["provider_readable_id"] == "composio-main"
    assert body["auth"]["provider_id"] == str(composio_a.id)
    source_connection = SourceConnection.objects.get(pk=body["id"])
    assert source_connection.credential is None
    assert source_connection.provider_config == PROVIDER_CONFIG
    assert Credential.objects.count() == 1  # only Composio's API key


def test_create_checks_the_account_and_the_token_live(api, github_repo, composio, composio_a):
    create(api, github_body(github_repo))
    assert composio.account_reads(ACCOUNT) == 1
    token_use = [r.headers.get("Authorization") for r in github_repo.requests]
    assert f"Bearer {VALID_TOKEN}" in token_use


def test_sync_immediately_defaults_to_true(api, github_repo, composio_a):
    body = {**github_body(github_repo)}
    del body["sync_immediately"]
    source_connection_id = create(api, body).json()["id"]
    assert SyncJob.objects.filter(source_connection_id=source_connection_id).count() == 1


def test_unknown_provider_connection_is_404(api, github_repo, composio_a):
    response = create(api, github_body(github_repo, provider_readable_id="nope"))
    assert (response.status_code, response.json()) == (
        404,
        {"detail": "Auth provider 'nope' not found"},
    )


def test_other_orgs_provider_connection_is_404(org_b, github_repo, composio_a):
    body = {**github_body(github_repo), "readable_collection_id": "globex-docs"}
    assert create(org_b.client, body).status_code == 404


def test_source_blocked_by_provider_is_400(api, github_repo, composio_a, monkeypatch):
    from connections.auth_providers.composio import ComposioAuthProvider

    monkeypatch.setattr(ComposioAuthProvider, "blocked_sources", frozenset({"github"}))
    response = create(api, github_body(github_repo))
    assert response.status_code == 400
    assert response.json()["detail"] == (
        "Auth provider Composio does not support the GitHub source"
    )


def test_source_without_auth_provider_method_is_400(api, composio_a):
    body = {
        "short_name": "stub",
        "readable_collection_id": "acme-docs",
        "authentication": {"provider_readable_id": "composio-main", "provider_config": {}},
    }
    response = create(api, body)
    assert response.status_code == 400
    assert "does not support the auth_provider authentication method" in response.json()["detail"]


def test_missing_provider_config_field_is_422_naming_it(api, github_repo, composio_a):
    response = create(
        api, github_body(github_repo, provider_config={"auth_config_id": "ac_github"})
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == [
        "body",
        "authentication",
        "provider_config",
        "account_id",
    ]


def test_provider_config_not_an_object_is_422(api, github_repo, composio_a):
    response = create(api, github_body(github_repo, provider_config=["ca_1"]))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "authentication", "provider_config"]


def test_unknown_account_is_400_at_once(api, github_repo, composio_a):
    config = {**PROVIDER_CONFIG, "account_id": "ca_missing"}
    response = create(api, github_body(github_repo, provider_config=config))
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Could not get credentials from Composio: ")
    assert "has no account 'ca_missing'" in response.json()["detail"]
    assert not SourceConnection.objects.exists()


def test_token_the_source_refuses_is_400(api, github_repo, composio, composio_a):
    composio.accounts[ACCOUNT]["state"]["val"]["access_token"] = "ghp_revoked_token_000"
    response = create(api, github_body(github_repo))
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Could not connect to GitHub")
    assert "ghp_revoked_token_000" not in response.content.decode()


def test_response_never_contains_the_token_or_api_key(api, github_repo, composio_a):
    from tests.connections.auth_provider_cast import VALID_API_KEY

    response = create(api, github_body(github_repo))
    assert VALID_TOKEN not in response.content.decode()
    assert VALID_API_KEY not in response.content.decode()


def test_patch_with_new_account_id_only_keeps_auth_config(
    api, org_a, github_repo, composio, composio_a
):
    source_connection = github_via_composio(org_a, github_repo)
    composio.add_account("ca_second", credentials={"access_token": VALID_TOKEN})
    body = {"authentication": {"provider_config": {"account_id": "ca_second"}}}
    response = api.patch(f"{URL}/{source_connection.id}", body, format="json")
    assert response.status_code == 200, response.content
    source_connection.refresh_from_db()
    assert source_connection.provider_config == {**PROVIDER_CONFIG, "account_id": "ca_second"}


def test_patch_with_unknown_account_is_400_and_keeps_old(api, org_a, github_repo, composio_a):
    source_connection = github_via_composio(org_a, github_repo)
    body = {"authentication": {"provider_config": {"account_id": "ca_gone"}}}
    response = api.patch(f"{URL}/{source_connection.id}", body, format="json")
    assert response.status_code == 400
    source_connection.refresh_from_db()
    assert source_connection.provider_config == PROVIDER_CONFIG


def test_patch_with_direct_credentials_is_400(api, org_a, github_repo, composio_a):
    source_connection = github_via_composio(org_a, github_repo)
    body = {"authentication": {"credentials": {"personal_access_token": VALID_TOKEN}}}
    response = api.patch(f"{URL}/{source_connection.id}", body, format="json")
    assert response.status_code == 400
    assert "gets its credentials from an auth provider" in response.json()["detail"]
