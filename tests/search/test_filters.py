"""Every filterable field with every operator it accepts, on PostgreSQL and on SQLite."""

from __future__ import annotations

import uuid

import pytest

from connections.models import SourceConnection
from syncs.models import Sync
from syncs.search.filters import parse_filter
from syncs.search.service import search_instant
from tests.search.conftest import at, write_entities

pytestmark = pytest.mark.dbspecific

JOB_1, JOB_2 = uuid.uuid4(), uuid.uuid4()
A, B, C = "doc-a", "doc-b", "doc-c"
META = "airweave_system_metadata."


@pytest.fixture
def corpus(org_a, source_connection):
    other = SourceConnection.objects.create(
        organization=org_a.organization,
        collection=org_a.collection,
        short_name="other_source",
        name="Other source",
        auth_method="direct",
        is_authenticated=True,
    )
    other_sync = Sync.objects.create(source_connection=other)
    write_entities(
        source_connection,
        {
            "entity_id": A,
            "entity_type": "stub_document",
            "name": "Alpha report",
            "breadcrumbs": [{"entity_id": "f-eng", "name": "Engineering", "entity_type": "folder"}],
            "created_at": at("2024-01-10T00:00:00+00:00"),
            "updated_at": at("2024-03-01T00:00:00+00:00"),
            "last_sync_job_id": JOB_1,
        },
        {
            "entity_id": B,
            "entity_type": "stub_note",
            "name": "Alpha minutes",
            "breadcrumbs": [{"entity_id": "f-sales", "name": "Sales", "entity_type": "folder"}],
            "created_at": at("2024-02-10T00:00:00+00:00"),
            "updated_at": at("2024-02-15T00:00:00+00:00"),
            "last_sync_job_id": JOB_2,
        },
        {"entity_id": "doc-long", "name": "Omega", "text": "omega " * 1100},
    )
    write_entities(other, {"entity_id": C, "entity_type": "stub_note", "name": "Alpha draft"})
    return {
        "$sync1": str(source_connection.sync.pk),
        "$sync2": str(other_sync.pk),
        "$sync2-part": str(other_sync.pk)[4:16].upper(),
        "$job1": str(JOB_1),
        "$job2": str(JOB_2),
        "$job1-part": str(JOB_1)[-12:],
    }


def matching(collection, query: str, *groups: list[tuple]) -> set[str]:
    raw = [
        {"conditions": [{"field": f, "operator": o, "value": v} for f, o, v in group]}
        for group in groups
    ]
    hits = search_instant(
        collection=collection,
        query=query,
        retrieval_strategy="keyword",
        filters=[parse_filter(raw)],
    )
    return {hit.doc_id for hit in hits}


def resolve(value, names: dict):
    if isinstance(value, list):
        return [resolve(item, names) for item in value]
    return names.get(value, value)


CASES = [
    ("entity_id", "equals", "doc-a__chunk_0", {A}),
    ("entity_id", "not_equals", "doc-a__chunk_0", {B, C}),
    ("entity_id", "contains", "C__CHUNK", {C}),
    ("entity_id", "in", ["doc-a__chunk_0", "doc-b__chunk_0", "nope"], {A, B}),
    ("entity_id", "not_in", ["doc-a__chunk_0"], {B, C}),
    ("name", "equals", "Alpha report", {A}),
    ("name", "not_equals", "Alpha report", {B, C}),
    ("name", "contains", "MINUTES", {B}),
    ("name", "in", ["Alpha report", "Alpha draft"], {A, C}),
    ("name", "not_in", ["Alpha report", "Alpha draft"], {B}),
    ("created_at", "equals", "2024-01-10T00:00:00Z", {A}),
    ("created_at", "not_equals", "2024-01-10T00:00:00Z", {B, C}),
    ("created_at", "greater_than", "2024-01-10T00:00:00Z", {B}),
    ("created_at", "less_than", "2024-02-10T01:00:00+01:00", {A}),
    ("created_at", "greater_than_or_equal", "2024-01-10", {A, B}),
    ("created_at", "less_than_or_equal", "2024-02-10T00:00:00Z", {A, B}),
    ("created_at", "in", ["2024-01-10T00:00:00Z", "2030-01-01T00:00:00Z"], {A}),
    ("created_at", "not_in", ["2024-01-10T00:00:00Z"], {B, C}),
    ("updated_at", "equals", "2024-02-15T00:00:00Z", {B}),
    ("updated_at", "not_equals", "2024-02-15T00:00:00Z", {A, C}),
    ("updated_at", "greater_than", "2024-02-20T00:00:00Z", {A}),
    ("updated_at", "less_than", "2024-02-20T00:00:00Z", {B}),
    ("updated_at", "greater_than_or_equal", "2024-03-01T00:00:00Z", {A}),
    ("updated_at", "less_than_or_equal", "2024-03-01T00:00:00Z", {A, B}),
    ("updated_at", "in", ["2024-03-01T00:00:00Z"], {A}),
    ("updated_at", "not_in", ["2024-03-01T00:00:00Z"], {B, C}),
    ("breadcrumbs.entity_id", "equals", "f-eng", {A}),
    ("breadcrumbs.entity_id", "not_equals", "f-eng", {B, C}),
    ("breadcrumbs.entity_id", "contains", "SALES", {B}),
    ("breadcrumbs.entity_id", "in", ["f-eng", "f-sales"], {A, B}),
    ("breadcrumbs.entity_id", "not_in", ["f-eng", "f-sales"], {C}),
    ("breadcrumbs.name", "equals", "Engineering", {A}),
    ("breadcrumbs.name", "not_equals", "Engineering", {B, C}),
    ("breadcrumbs.name", "contains", "engin", {A}),
    ("breadcrumbs.name", "in", ["Sales"], {B}),
    ("breadcrumbs.name", "not_in", ["Sales"], {A, C}),
    ("breadcrumbs.entity_type", "equals", "folder", {A, B}),
    ("breadcrumbs.entity_type", "not_equals", "folder", {C}),
    ("breadcrumbs.entity_type", "contains", "fold", {A, B}),
    ("breadcrumbs.entity_type", "in", ["folder", "page"], {A, B}),
    ("breadcrumbs.entity_type", "not_in", ["page"], {A, B, C}),
    (META + "entity_type", "equals", "stub_note", {B, C}),
    (META + "entity_type", "not_equals", "stub_note", {A}),
    (META + "entity_type", "contains", "DOC", {A}),
    (META + "entity_type", "in", ["stub_document"], {A}),
    (META + "entity_type", "not_in", ["stub_document"], {B, C}),
    (META + "source_name", "equals", "other_source", {C}),
    (META + "source_name", "not_equals", "other_source", {A, B}),
    (META + "source_name", "contains", "stu", {A, B}),
    (META + "source_name", "in", ["stub", "github"], {A, B}),
    (META + "source_name", "not_in", ["stub"], {C}),
    (META + "original_entity_id", "equals", B, {B}),
    (META + "original_entity_id", "not_equals", B, {A, C}),
    (META + "original_entity_id", "contains", "-c", {C}),
    (META + "original_entity_id", "in", [A, C], {A, C}),
    (META + "original_entity_id", "not_in", [A, C], {B}),
    (META + "sync_id", "equals", "$sync1", {A, B}),
    (META + "sync_id", "not_equals", "$sync1", {C}),
    (META + "sync_id", "contains", "$sync2-part", {C}),
    (META + "sync_id", "in", ["$sync2", "not-a-uuid"], {C}),
    (META + "sync_id", "not_in", ["$sync2"], {A, B}),
    (META + "sync_job_id", "equals", "$job1", {A}),
    (META + "sync_job_id", "not_equals", "$job1", {B, C}),
    (META + "sync_job_id", "contains", "$job1-part", {A}),
    (META + "sync_job_id", "in", ["$job1", "$job2"], {A, B}),
    (META + "sync_job_id", "not_in", ["$job1"], {B, C}),
]


@pytest.mark.parametrize(("field", "operator", "value", "expected"), CASES)
def test_filter(org_a, corpus, field, operator, value, expected):
    found = matching(org_a.collection, "alpha", [(field, operator, resolve(value, corpus))])
    assert found == {f"{doc}__chunk_0" for doc in expected}


CHUNK_CASES = [
    ("equals", 1, {1}),
    ("not_equals", 0, {1, 2, 3}),
    ("greater_than", 1, {2, 3}),
    ("less_than", 1, {0}),
    ("greater_than_or_equal", 2, {2, 3}),
    ("less_than_or_equal", 1, {0, 1}),
    ("in", [0, 2], {0, 2}),
    ("not_in", [0, 2], {1, 3}),
]


@pytest.mark.parametrize(("operator", "value", "expected"), CHUNK_CASES)
def test_chunk_index_filter(org_a, corpus, operator, value, expected):
    found = matching(org_a.collection, "omega", [(META + "chunk_index", operator, value)])
    assert found == {f"doc-long__chunk_{index}" for index in expected}


def test_conditions_in_a_group_must_all_hold(org_a, corpus):
    group = [(META + "entity_type", "equals", "stub_note"), ("name", "contains", "draft")]
    assert matching(org_a.collection, "alpha", group) == {"doc-c__chunk_0"}


def test_any_group_may_hold(org_a, corpus):
    found = matching(
        org_a.collection,
        "alpha",
        [("name", "equals", "Alpha report")],
        [("name", "contains", "draft")],
    )
    assert found == {"doc-a__chunk_0", "doc-c__chunk_0"}


def test_contains_treats_like_wildcards_literally(org_a, corpus):
    assert matching(org_a.collection, "alpha", [("name", "contains", "%")]) == set()
    assert matching(org_a.collection, "alpha", [("name", "contains", "_")]) == set()
