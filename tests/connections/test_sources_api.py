"""GET /api/sources and /api/sources/{short_name}: the connector registry in Airweave's shape."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

SOURCE_FIELDS = {
    "name",
    "short_name",
    "description",
    "auth_methods",
    "oauth_type",
    "requires_byoc",
    "auth_config_class",
    "config_class",
    "class_name",
    "output_entity_definitions",
    "labels",
    "supports_continuous",
    "federated_search",
    "supports_temporal_relevance",
    "supports_access_control",
    "rate_limit_level",
    "feature_flag",
    "supports_browse_tree",
    "auth_fields",
    "config_fields",
    "supported_auth_providers",
}


def test_list_has_airweave_source_fields(api):
    sources = api.get("/api/sources").json()
    stub = next(s for s in sources if s["short_name"] == "stub")
    assert set(stub) == SOURCE_FIELDS
    assert stub["auth_methods"] == ["direct"] and stub["auth_fields"] is None


def test_list_is_sorted_by_name(api):
    names = [s["name"].lower() for s in api.get("/api/sources").json()]
    assert names == sorted(names)


def test_get_returns_config_fields(api):
    stub = api.get("/api/sources/stub").json()
    field = next(f for f in stub["config_fields"]["fields"] if f["name"] == "entity_count")
    assert (field["type"], field["is_secret"], field["required"]) == ("integer", False, False)


def test_unknown_source_is_404(api):
    response = api.get("/api/sources/nope")
    assert response.status_code == 404
    assert response.json() == {"detail": "Source 'nope' not found"}


def test_internal_sources_are_hidden_unless_enabled(api, settings):
    settings.WEFT_INTERNAL_SOURCES = False
    assert "stub" not in [s["short_name"] for s in api.get("/api/sources").json()]
    assert api.get("/api/sources/stub").status_code == 404
