from __future__ import annotations

import re

import pytest

from connections.models import Collection

pytestmark = pytest.mark.django_db


def test_create_generates_readable_id_from_name(api):
    response = api.post("/api/collections", {"name": "Finance Data"}, format="json")
    assert response.status_code == 200
    assert re.fullmatch(r"finance-data-[a-z0-9]{6}", response.json()["readable_id"])


def test_create_returns_airweave_collection_fields(api, org_a):
    body = api.post("/api/collections", {"name": "Team Wiki"}, format="json").json()
    assert body["organization_id"] == str(org_a.organization.id)
    assert body["status"] == "NEEDS SOURCE"
    assert (body["vector_size"], body["embedding_model_name"]) == (0, "none")
    assert body["source_connection_summaries"] == []


def test_duplicate_readable_id_is_409(api, org_a):
    response = api.post(
        "/api/collections", {"name": "Again", "readable_id": "acme-docs"}, format="json"
    )
    assert response.status_code == 409
    assert response.json() == {"detail": "Collection with readable_id 'acme-docs' already exists"}


@pytest.mark.parametrize("readable_id", ["Upper", "-lead", "trail-", "a", "has space", "x" * 64])
def test_invalid_readable_id_is_422_naming_field(api, readable_id):
    response = api.post(
        "/api/collections", {"name": "Valid name", "readable_id": readable_id}, format="json"
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "readable_id"]


@pytest.mark.parametrize("name", ["abc", "x" * 65, 1234, None])
def test_invalid_name_is_422(api, name):
    response = api.post("/api/collections", {"name": name}, format="json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "name"]


def test_list_is_newest_first_with_skip_and_limit(api, org_a):
    for index in range(3):
        api.post("/api/collections", {"name": f"Coll {index}"}, format="json")
    names = [c["name"] for c in api.get("/api/collections?skip=1&limit=2").json()]
    assert names == ["Coll 1", "Coll 0"]


def test_list_search_matches_name_and_readable_id(api):
    api.post("/api/collections", {"name": "Zebra stripes", "readable_id": "zz-top"}, format="json")
    by_name = api.get("/api/collections?search=zebra").json()
    by_id = api.get("/api/collections?search=zz-to").json()
    assert [c["readable_id"] for c in by_name] == ["zz-top"] == [c["readable_id"] for c in by_id]


@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "skip=-1", "limit=abc"])
def test_bad_list_params_are_422_in_query(api, query):
    response = api.get(f"/api/collections?{query}")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "query"


def test_patch_updates_name_but_not_readable_id(api, org_a):
    response = api.patch(
        "/api/collections/acme-docs", {"name": "Renamed", "readable_id": "other"}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["readable_id"]) == ("Renamed", "acme-docs")


def test_delete_returns_deleted_collection(api):
    response = api.delete("/api/collections/acme-docs")
    assert response.status_code == 200
    assert response.json()["readable_id"] == "acme-docs"
    assert not Collection.objects.filter(readable_id="acme-docs").exists()


def test_unknown_collection_is_404_with_detail(api):
    response = api.get("/api/collections/nope-nope")
    assert response.status_code == 404
    assert response.json() == {"detail": "Collection not found"}


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_other_org_collection_is_404(api, org_b, method):
    response = getattr(api, method)(
        "/api/collections/globex-docs", {"name": "Hijack"}, format="json"
    )
    assert response.status_code == 404
    assert Collection.objects.get(readable_id="globex-docs").name == "Globex Docs"


def test_other_org_collections_not_listed(api, org_b):
    ids = [c["readable_id"] for c in api.get("/api/collections").json()]
    assert "globex-docs" not in ids and "acme-docs" in ids


def test_sync_config_shape_is_validated(api):
    response = api.post(
        "/api/collections",
        {"name": "Configured", "sync_config": {"behavior": {"skip_guardrails": "yes"}}},
        format="json",
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == [
        "body",
        "sync_config",
        "behavior",
        "skip_guardrails",
    ]
