"""/api/auth-providers: the provider catalog and an organization's provider connections."""

from __future__ import annotations

import pytest

from connections.models import AuthProviderConnection, Credential
from tests.connections.auth_provider_cast import (
    CLIENT_ID,
    CLIENT_SECRET,
    VALID_API_KEY,
    github_via_composio,
)

pytestmark = pytest.mark.django_db

URL = "/api/auth-providers"


def connect(client, **body):
    payload = {"name": "My Composio", "short_name": "composio", **body}
    payload.setdefault("auth_fields", {"api_key": VALID_API_KEY})
    return client.post(URL, payload, format="json")


@pytest.mark.parametrize("suffix", ["", "/"])
def test_list_shows_composio_and_pipedream_with_fields(api, suffix):
    response = api.get(f"{URL}/list{suffix}")
    assert response.status_code == 200
    by_name = {p["short_name"]: p for p in response.json()}
    assert sorted(by_name) == ["composio", "pipedream"]
    composio_fields = [f["name"] for f in by_name["composio"]["config_fields"]["fields"]]
    assert composio_fields == ["auth_config_id", "account_id"]
    assert by_name["composio"]["auth_fields"]["fields"][0]["is_secret"] is True


def test_detail_has_airweave_shape(api):
    body = api.get(f"{URL}/detail/pipedream").json()
    assert body["class_name"] == "PipedreamAuthProvider"
    assert (body["auth_config_class"], body["config_class"]) == (
        "PipedreamAuthConfig",
        "PipedreamConfig",
    )
    assert [f["name"] for f in body["auth_fields"]["fields"]] == ["client_id", "client_secret"]
    assert body["organization_id"] is None and body["id"]


def test_unknown_provider_detail_is_404(api):
    response = api.get(f"{URL}/detail/nope")
    assert (response.status_code, response.json()) == (
        404,
        {"detail": "Auth provider not found: nope"},
    )


def test_connect_checks_key_live_and_stores_it_encrypted(api, composio):
    response = connect(api, readable_id="composio-main")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["readable_id"], body["short_name"], body["masked_client_id"]) == (
        "composio-main",
        "composio",
        None,
    )
    credential = AuthProviderConnection.objects.get(readable_id="composio-main").credential
    assert credential.secrets == {"api_key": VALID_API_KEY}
    assert VALID_API_KEY not in credential.encrypted_payload
    assert ("GET", "/api/v3/connected_accounts") in composio.requests


def test_connect_with_refused_key_is_400_and_stores_nothing(api, composio):
    response = connect(api, auth_fields={"api_key": "comp_wrong_key"})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Could not connect to Composio: Composio refused")
    assert "Invalid API key" in response.json()["detail"]
    assert not AuthProviderConnection.objects.exists() and not Credential.objects.exists()


def test_connect_generates_readable_id_from_name(api, composio):
    body = connect(api, name="Team Composio").json()
    assert body["readable_id"].startswith("team-composio-")


def test_connect_unknown_provider_is_422_naming_short_name(api):
    response = connect(api, short_name="klavis")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "short_name"]


def test_connect_missing_auth_field_is_422_naming_it(api, composio):
    response = connect(api, auth_fields={})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "auth_fields", "api_key"]


def test_connect_bad_readable_id_is_422(api):
    response = connect(api, readable_id="Not Valid")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "readable_id"]


def test_connect_duplicate_readable_id_is_409(api, composio_a):
    response = connect(api, readable_id="composio-main")
    assert response.status_code == 409
    assert response.json() == {"detail": "Auth provider connection 'composio-main' already exists"}


def test_pipedream_connection_shows_only_masked_client_id(api, pipedream_server):
    auth = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    response = connect(api, short_name="pipedream", auth_fields=auth)
    assert response.status_code == 200, response.content
    assert response.json()["masked_client_id"] == f"{CLIENT_ID[:7]}...{CLIENT_ID[-4:]}"
    listed = api.get(f"{URL}/connections").content.decode()
    assert CLIENT_SECRET not in listed and CLIENT_ID not in listed


@pytest.mark.parametrize("suffix", ["", "/"])
def test_list_connections_is_per_organization(api, org_b, composio_a, suffix):
    assert [c["readable_id"] for c in api.get(f"{URL}/connections{suffix}").json()] == [
        "composio-main"
    ]
    assert org_b.client.get(f"{URL}/connections").json() == []


def test_get_connection(api, composio_a):
    body = api.get(f"{URL}/connections/composio-main/").json()
    assert (body["id"], body["name"]) == (str(composio_a.id), "Composio")


def test_other_org_connection_is_404(org_b, composio_a):
    for response in (
        org_b.client.get(f"{URL}/connections/composio-main"),
        org_b.client.put(f"{URL}/composio-main", {"name": "Mine"}, format="json"),
        org_b.client.delete(f"{URL}/composio-main"),
    ):
        assert response.status_code == 404
    assert AuthProviderConnection.objects.filter(name="Composio").exists()


def test_put_renames_without_calling_provider(api, composio, composio_a):
    before = len(composio.requests)
    response = api.put(f"{URL}/composio-main", {"name": "Renamed"}, format="json")
    assert (response.status_code, response.json()["name"]) == (200, "Renamed")
    assert len(composio.requests) == before


def test_put_with_refused_key_is_400_and_keeps_old_key(api, composio, composio_a):
    body = {"auth_fields": {"api_key": "comp_wrong_key"}}
    response = api.put(f"{URL}/composio-main", body, format="json")
    assert response.status_code == 400
    composio_a.credential.refresh_from_db()
    assert composio_a.credential.secrets == {"api_key": VALID_API_KEY}


def test_put_replaces_key_after_live_check(api, composio, composio_a):
    composio.api_keys.add("comp_second_key_0123")
    body = {"auth_fields": {"api_key": "comp_second_key_0123"}}
    assert api.put(f"{URL}/composio-main/", body, format="json").status_code == 200
    composio_a.credential.refresh_from_db()
    assert composio_a.credential.secrets == {"api_key": "comp_second_key_0123"}


def test_empty_put_is_422(api, composio_a):
    assert api.put(f"{URL}/composio-main", {}, format="json").status_code == 422


def test_delete_removes_connection_and_its_credential(api, composio_a):
    response = api.delete(f"{URL}/composio-main/")
    assert (response.status_code, response.json()["readable_id"]) == (200, "composio-main")
    assert not AuthProviderConnection.objects.exists() and not Credential.objects.exists()


def test_delete_while_used_is_409(api, org_a, github_repo, composio_a):
    github_via_composio(org_a, github_repo)
    response = api.delete(f"{URL}/composio-main")
    assert response.status_code == 409
    assert "used by 1 source connection" in response.json()["detail"]
    assert AuthProviderConnection.objects.filter(pk=composio_a.pk).exists()
