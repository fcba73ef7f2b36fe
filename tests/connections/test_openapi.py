"""OpenAPI 3 schema at /api/openapi.json; Swagger UI and Redoc pages that work offline."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(anon) -> dict:
    response = anon.get("/api/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/")
    return response.json()


def test_schema_is_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Weft API"
    assert schema["servers"] == [{"url": "/api", "description": "This server"}]


def test_schema_declares_the_x_api_key_scheme(schema):
    assert schema["components"]["securitySchemes"]["ApiKeyAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "x-api-key",
    }


def test_paths_are_airweaves_without_trailing_slash(schema):
    expected = {
        "/collections",
        "/collections/{readable_id}",
        "/sources",
        "/sources/{short_name}",
        "/health",
    }
    assert expected <= set(schema["paths"])
    assert not [path for path in schema["paths"] if path.endswith("/")]


def test_collection_operations_require_the_api_key(schema):
    for method in ("get", "post"):
        assert schema["paths"]["/collections"][method]["security"] == [{"ApiKeyAuth": []}]
    assert schema["paths"]["/health"]["get"].get("security", []) in ([], [{}])


def test_validation_error_shape_is_documented(schema):
    response = schema["paths"]["/collections"]["post"]["responses"]["422"]
    ref = response["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    detail = schema["components"]["schemas"][ref]["properties"]["detail"]
    item = schema["components"]["schemas"][detail["items"]["$ref"].rsplit("/", 1)[-1]]
    assert detail["type"] == "array"
    assert set(item["required"]) == {"loc", "msg", "type"}


@pytest.mark.parametrize("status", ["401", "403", "404", "429"])
def test_detail_error_shapes_are_documented(schema, status):
    response = schema["paths"]["/collections/{readable_id}"]["get"]["responses"][status]
    ref = response["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert schema["components"]["schemas"][ref]["properties"]["detail"]["type"] == "string"


def test_create_request_documents_name_bounds(schema):
    body = schema["paths"]["/collections"]["post"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    name = schema["components"]["schemas"][ref]["properties"]["name"]
    assert (name["minLength"], name["maxLength"]) == (4, 64)


@pytest.mark.parametrize("page", ["/api/docs", "/api/redoc"])
def test_docs_page_uses_only_local_assets(anon, page):
    response = anon.get(page)
    html = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "http://" not in html and "https://" not in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(url.startswith("/static/drf_spectacular_sidecar/") for url in assets)
    assert all(anon.get(url).status_code == 200 for url in assets)


@pytest.mark.parametrize("page", ["/api/docs", "/api/redoc"])
def test_docs_page_loads_the_local_schema(anon, page):
    assert "/api/openapi.json" in anon.get(page).content.decode()


def test_swagger_ui_does_not_call_the_online_validator(anon):
    assert '"validatorUrl": null' in anon.get("/api/docs").content.decode()
