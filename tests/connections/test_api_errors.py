"""The API's error promise: bad input is a 4xx in a JSON shape, a crash is a JSON 500 with an id."""

from __future__ import annotations

import json

import pytest
from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework.test import APIClient

import config.urls
from connections import services

pytestmark = pytest.mark.django_db

TEN_MB = 10 * 1024 * 1024


def _boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("kaboom")


# A test-only route: a plain Django view under /api that crashes (not a DRF view).
urlpatterns = [path("api/boom", _boom), *config.urls.urlpatterns]


def post_raw(api: APIClient, body: str | bytes, content_type: str = "application/json"):
    return api.generic("POST", "/api/collections", body, content_type=content_type)


def test_malformed_json_is_422_json_invalid(api):
    response = post_raw(api, '{"name": "Broken",')
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert (error["loc"], error["type"]) == (["body"], "json_invalid")


@pytest.mark.parametrize("body", ["[" * 100_000, '{"a":' * 100_000])
def test_json_nested_too_deep_is_422_not_500(api, body):
    response = post_raw(api, body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"


def test_invalid_utf8_body_is_422(api):
    response = post_raw(api, b'{"name": "\xff\xfe bad"}')
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body"]


@pytest.mark.parametrize("body", ["[]", '"Finance"', "42", "null"])
def test_body_that_is_not_an_object_is_422(api, body):
    response = post_raw(api, body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body"]


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_wrong_content_type_is_415_json(api, content_type):
    response = post_raw(api, "name=Finance+Data", content_type=content_type)
    assert response.status_code == 415
    assert response["Content-Type"] == "application/json"
    assert content_type in response.json()["detail"]


def test_body_over_10_mb_is_413_json(api):
    response = post_raw(api, json.dumps({"name": "x" * TEN_MB}))
    assert response.status_code == 413
    assert response.json() == {"detail": "Request body too large. The limit is 10 MB."}


def test_body_just_under_10_mb_is_parsed(api):
    body = json.dumps({"name": "x" * (TEN_MB - 20)})
    response = post_raw(api, body)
    assert len(body) <= TEN_MB
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "name"]


def test_unparseable_content_length_is_400_json(api):
    response = api.generic(
        "POST", "/api/collections", "{}", content_type="application/json", CONTENT_LENGTH="abc"
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid Content-Length header"}


WRONG_TYPES = [123, 1.5, True, [], {}, ["Finance"]]


@pytest.mark.parametrize("value", [*WRONG_TYPES, None])
def test_create_with_wrong_type_for_name_is_422(api, value):
    response = api.post("/api/collections", {"name": value}, format="json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "name"]


@pytest.mark.parametrize("value", WRONG_TYPES)
def test_create_with_wrong_type_for_readable_id_is_422(api, value):
    response = api.post(
        "/api/collections", {"name": "Finance", "readable_id": value}, format="json"
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "readable_id"]


SYNC_CONFIG_CASES = [
    ("x", ["sync_config"]),
    (1, ["sync_config"]),
    ([], ["sync_config"]),
    ({"destinations": "x"}, ["sync_config", "destinations"]),
    ({"destinations": {"skip_vespa": "yes"}}, ["sync_config", "destinations", "skip_vespa"]),
    (
        {"destinations": {"target_destinations": "x"}},
        ["sync_config", "destinations", "target_destinations"],
    ),
    (
        {"destinations": {"exclude_destinations": [1]}},
        ["sync_config", "destinations", "exclude_destinations", 0],
    ),
    ({"handlers": []}, ["sync_config", "handlers"]),
    (
        {"handlers": {"enable_vector_handlers": 1}},
        ["sync_config", "handlers", "enable_vector_handlers"],
    ),
    (
        {"handlers": {"enable_raw_data_handler": "true"}},
        ["sync_config", "handlers", "enable_raw_data_handler"],
    ),
    (
        {"handlers": {"enable_postgres_handler": 0}},
        ["sync_config", "handlers", "enable_postgres_handler"],
    ),
    ({"cursor": {"skip_load": "no"}}, ["sync_config", "cursor", "skip_load"]),
    ({"cursor": {"skip_updates": []}}, ["sync_config", "cursor", "skip_updates"]),
    (
        {"behavior": {"skip_hash_comparison": 1.0}},
        ["sync_config", "behavior", "skip_hash_comparison"],
    ),
    ({"behavior": {"replay_from_arf": {}}}, ["sync_config", "behavior", "replay_from_arf"]),
]


@pytest.mark.parametrize("sync_config,loc", SYNC_CONFIG_CASES)
def test_create_with_wrong_type_in_sync_config_is_422_naming_field(api, sync_config, loc):
    response = api.post(
        "/api/collections", {"name": "Finance", "sync_config": sync_config}, format="json"
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", *loc]


@pytest.mark.parametrize("value", [*WRONG_TYPES, None, "abc", "x" * 65])
def test_patch_with_wrong_name_is_422(api, value):
    response = api.patch("/api/collections/acme-docs", {"name": value}, format="json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "name"]


@pytest.mark.parametrize("sync_config,loc", SYNC_CONFIG_CASES)
def test_patch_with_wrong_type_in_sync_config_is_422_naming_field(api, sync_config, loc):
    response = api.patch("/api/collections/acme-docs", {"sync_config": sync_config}, format="json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", *loc]


def test_validation_error_items_have_loc_msg_type(api):
    response = api.post("/api/collections", {}, format="json")
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error == {"loc": ["body", "name"], "msg": "This field is required.", "type": "required"}


@pytest.mark.dbspecific
@pytest.mark.parametrize("query", ["skip=99999999999999999999", "skip=2147483648"])
def test_skip_too_large_for_the_database_is_422(api, query):
    response = api.get(f"/api/collections?{query}")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "skip"]


@pytest.mark.dbspecific
@pytest.mark.parametrize("readable_id", ["a%00b", "UPPER", "%E2%9C%93", "x" * 300])
def test_impossible_readable_id_in_path_is_404(api, readable_id):
    response = api.get(f"/api/collections/{readable_id}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Collection not found"}


@pytest.mark.parametrize("path", ["/api/nope", "/api/collections/a/b/c", "/api", "/api/"])
def test_unknown_api_path_is_json_404(api, path):
    response = api.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found"}


def test_unknown_api_path_is_json_even_with_debug(api, settings):
    settings.DEBUG = True
    response = api.get("/api/nope")
    assert (response.status_code, response.json()) == (404, {"detail": "Not found"})


def test_unsupported_method_is_json_405(api):
    response = api.put("/api/collections", {}, format="json")
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "PUT" not allowed.'}


def test_crash_in_api_view_is_json_500_with_logged_request_id(api, monkeypatch, caplog):
    def explode(**kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(services, "collection_create", explode)
    response = api.post("/api/collections", {"name": "Finance"}, format="json")
    assert response.status_code == 500
    request_id = response.json()["request_id"]
    assert response.json() == {"detail": "Internal server error", "request_id": request_id}
    assert response["X-Request-ID"] == request_id
    assert any(request_id in r.getMessage() and r.exc_info for r in caplog.records)


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("debug", [False, True])
def test_crash_outside_drf_is_json_500_with_logged_request_id(api, settings, caplog, debug):
    settings.DEBUG = debug
    response = api.get("/api/boom")
    assert response.status_code == 500
    request_id = response["X-Request-ID"]
    assert response.json() == {"detail": "Internal server error", "request_id": request_id}
    assert any(request_id in r.getMessage() and r.exc_info for r in caplog.records)


def test_callers_request_id_is_used_in_the_500(api, monkeypatch):
    monkeypatch.setattr(services, "collection_create", lambda **kw: 1 / 0)
    response = api.post(
        "/api/collections", {"name": "Finance"}, format="json", headers={"X-Request-ID": "abc-123"}
    )
    assert response.json()["request_id"] == "abc-123" == response["X-Request-ID"]


def test_unsafe_request_id_is_replaced(api):
    response = api.get("/api/collections", headers={"X-Request-ID": "bad id\nwith newline"})
    assert response["X-Request-ID"] != "bad id\nwith newline"
    assert len(response["X-Request-ID"]) == 32
