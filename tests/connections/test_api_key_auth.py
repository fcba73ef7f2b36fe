"""API-key authentication: which headers carry a key, and what a missing or bad key gets."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from connections.models import ApiKey

pytestmark = pytest.mark.django_db

NO_CREDENTIALS = {"detail": "No valid authentication provided"}
INVALID_KEY = {"detail": "Invalid or expired API key"}
ENDPOINTS = [
    ("get", "/api/collections"),
    ("post", "/api/collections"),
    ("get", "/api/collections/acme-docs"),
    ("patch", "/api/collections/acme-docs"),
    ("delete", "/api/collections/acme-docs"),
    ("get", "/api/sources"),
    ("get", "/api/sources/stub"),
]


@pytest.mark.parametrize("header", ["x-api-key", "X-API-KEY", "X-Api-Key", "x-API-key"])
def test_x_api_key_header_in_any_case_authenticates(anon, org_a, header):
    response = anon.get("/api/collections", headers={header: org_a.plaintext_key})
    assert response.status_code == 200
    assert [c["readable_id"] for c in response.json()] == ["acme-docs"]


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_authorization_bearer_authenticates(anon, org_a, scheme):
    response = anon.get(
        "/api/collections", headers={"Authorization": f"{scheme} {org_a.plaintext_key}"}
    )
    assert response.status_code == 200


def test_key_authenticates_as_its_own_organization(anon, org_a, org_b):
    response = anon.get("/api/collections", headers={"x-api-key": org_b.plaintext_key})
    assert [c["readable_id"] for c in response.json()] == ["globex-docs"]


@pytest.mark.parametrize(
    "headers",
    [{}, {"x-api-key": ""}, {"Authorization": "Bearer "}, {"Authorization": "Basic dXNlcjpwdw=="}],
)
def test_no_credentials_is_401(anon, org_a, headers):
    response = anon.get("/api/collections", headers=headers)
    assert response.status_code == 401
    assert response.json() == NO_CREDENTIALS


@pytest.mark.parametrize("method,path", ENDPOINTS)
def test_no_credentials_is_401_on_every_endpoint(anon, org_a, method, path):
    response = getattr(anon, method)(path, {"name": "Renamed"}, format="json")
    assert response.status_code == 401
    assert response.json() == NO_CREDENTIALS


def test_unknown_key_is_403(anon, org_a):
    response = anon.get("/api/collections", headers={"x-api-key": "weft_not-a-real-key"})
    assert response.status_code == 403
    assert response.json() == INVALID_KEY


def test_revoked_key_is_403(anon, org_a):
    org_a.api_key.revoke()
    response = anon.get("/api/collections", headers={"x-api-key": org_a.plaintext_key})
    assert response.status_code == 403
    assert response.json() == INVALID_KEY


def test_expired_key_is_403(anon, org_a):
    ApiKey.objects.filter(pk=org_a.api_key.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = anon.get(
        "/api/collections", headers={"Authorization": f"Bearer {org_a.plaintext_key}"}
    )
    assert response.status_code == 403
    assert response.json() == INVALID_KEY


@pytest.mark.parametrize("method,path", ENDPOINTS)
def test_bad_key_is_403_on_every_endpoint(anon, org_a, method, path):
    anon.credentials(HTTP_X_API_KEY="weft_wrong")
    response = getattr(anon, method)(path, {"name": "Renamed"}, format="json")
    assert response.status_code == 403
    assert response.json() == INVALID_KEY


def test_request_sets_last_used_at(anon, org_a):
    assert org_a.api_key.last_used_at is None
    anon.get("/api/collections", headers={"x-api-key": org_a.plaintext_key})
    org_a.api_key.refresh_from_db()
    assert timezone.now() - org_a.api_key.last_used_at < timedelta(seconds=5)


def test_rejected_key_does_not_touch_last_used_at(anon, org_a):
    org_a.api_key.revoke()
    anon.get("/api/collections", headers={"x-api-key": org_a.plaintext_key})
    org_a.api_key.refresh_from_db()
    assert org_a.api_key.last_used_at is None
