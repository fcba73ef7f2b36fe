"""Every route answers with and without a trailing slash, for every method, without redirects."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

ROUTES = [
    ("get", "/api/collections", None),
    ("post", "/api/collections", {"name": "Slash Test"}),
    ("get", "/api/collections/acme-docs", None),
    ("patch", "/api/collections/acme-docs", {"name": "Renamed"}),
    ("delete", "/api/collections/acme-docs", None),
    ("get", "/api/sources", None),
    ("get", "/api/sources/stub", None),
    ("get", "/api/health", None),
    ("get", "/api/openapi.json", None),
    ("get", "/api/docs", None),
    ("get", "/api/redoc", None),
]


@pytest.mark.parametrize("slash", ["", "/"])
@pytest.mark.parametrize("method,path,body", ROUTES)
def test_route_answers_200_with_and_without_slash(api, method, path, body, slash):
    response = getattr(api, method)(path + slash, body, format="json")
    assert response.status_code == 200, response.content[:200]


@pytest.mark.parametrize("slash", ["", "/"])
@pytest.mark.parametrize(
    "method,path", [("get", "/api/collections/nope-nope"), ("get", "/api/sources/nope")]
)
def test_missing_object_is_404_with_and_without_slash(api, method, path, slash):
    response = getattr(api, method)(path + slash)
    assert response.status_code == 404
    assert "not found" in response.json()["detail"].lower()


@pytest.mark.parametrize("path", ["/api/collections", "/api/collections/", "/api/sources/stub/"])
def test_method_not_allowed_is_405_not_a_redirect(api, path):
    response = api.put(path, {}, format="json")
    assert response.status_code == 405


def test_patch_with_slash_changes_the_collection(api):
    api.patch("/api/collections/acme-docs/", {"name": "With slash"}, format="json")
    assert api.get("/api/collections/acme-docs").json()["name"] == "With slash"
