"""A filter that cannot mean anything is a 422 whose location and message name the condition."""

from __future__ import annotations

import pytest


def search(tenant, search_filter):
    url = f"/api/collections/{tenant.collection.readable_id}/search/instant"
    return tenant.client.post(url, {"query": "x", "filter": search_filter}, format="json")


def condition(field: str, operator: str, value) -> list[dict]:
    ok = {"field": "name", "operator": "equals", "value": "fine"}
    return [
        {"conditions": [ok]},
        {"conditions": [ok, {"field": field, "operator": operator, "value": value}]},
    ]


@pytest.mark.parametrize(
    ("field", "operator", "value", "part", "words"),
    [
        ("created_at", "contains", "2024", "value", "only on text"),
        ("airweave_system_metadata.chunk_index", "contains", 1, "value", "only on text"),
        ("name", "greater_than", "b", "value", "only on dates and chunk_index"),
        ("breadcrumbs.name", "less_than_or_equal", "b", "value", "only on dates"),
        ("name", "in", "Alpha", "value", "needs a list"),
        ("name", "not_in", 3, "value", "needs a list"),
        ("name", "equals", ["a", "b"], "value", "not a list"),
        ("created_at", "greater_than", "last tuesday", "value", "ISO-8601"),
        ("created_at", "in", ["2024-01-01", "soon"], "value", "ISO-8601"),
        ("airweave_system_metadata.chunk_index", "equals", "1", "value", "whole number"),
        ("airweave_system_metadata.chunk_index", "equals", True, "value", "whole number"),
        ("name", "equals", True, "value", "not bool"),
        ("title", "equals", "x", "field", "unknown field"),
        ("name", "like", "x", "operator", "unknown operator"),
    ],
)
def test_invalid_condition_is_422_naming_it(org_a, field, operator, value, part, words):
    response = search(org_a, condition(field, operator, value))
    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert error["loc"] == ["body", "filter", 1, "conditions", 1, part]
    assert error["msg"].startswith("filter[1].conditions[1]")
    assert words in error["msg"]


@pytest.mark.parametrize(
    ("search_filter", "loc"),
    [
        ({"conditions": []}, ["body", "filter"]),
        (["not a group"], ["body", "filter", 0]),
        ([{"conditions": []}], ["body", "filter", 0, "conditions"]),
        ([{"nothing": 1}], ["body", "filter", 0, "conditions"]),
        (
            [{"conditions": [{"field": "name", "value": "x"}]}],
            ["body", "filter", 0, "conditions", 0],
        ),
    ],
)
def test_malformed_filter_is_422(org_a, search_filter, loc):
    response = search(org_a, search_filter)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == loc


def test_null_and_empty_filters_mean_no_filter(org_a):
    assert search(org_a, None).status_code == 200
    assert search(org_a, []).status_code == 200
