"""The dashboard: collections with status, counts and last sync; creating a collection."""

from __future__ import annotations

from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext

from connections.models import Collection
from tests.web.conftest import stub_connection


def test_lists_own_collections_with_counts_and_status(web, connection_a, org_b):
    response = web.get("/")
    assert response.status_code == 200
    row = response.context["rows"][0]
    assert (row.collection.readable_id, row.status) == ("acme-docs", "ACTIVE")
    assert (row.connection_count, row.entity_count) == (1, 3)
    assert row.last_job.status == "completed"
    assert b"Globex Docs" not in response.content


def test_dashboard_queries_do_not_grow_with_collections(web, org_a):
    with CaptureQueriesContext(db_connection) as one:
        web.get("/")
    for index in range(5):
        collection = Collection.objects.create(
            organization=org_a.organization, name=f"More {index}", readable_id=f"more-{index}"
        )
        org_a.collection = collection
        stub_connection(org_a)
    with CaptureQueriesContext(db_connection) as six:
        web.get("/")
    assert len(six) == len(one)


def test_create_collection_redirects_to_it(web, org_a):
    response = web.post("/collections/new/", {"name": "Engineering notes", "readable_id": ""})
    collection = Collection.objects.get(name="Engineering notes")
    assert collection.organization == org_a.organization
    assert collection.created_by_email == "owner@acme.test"
    assert response["Location"] == f"/collections/{collection.readable_id}/"


def test_create_collection_error_is_next_to_the_field_and_keeps_input(web, org_a):
    response = web.post("/collections/new/", {"name": "abc", "readable_id": "Bad Id"})
    assert response.status_code == 422
    form = response.context["form"]
    assert "name" in form.errors and "readable_id" in form.errors
    assert b'value="Bad Id"' in response.content


def test_taken_readable_id_is_reported_on_that_field(web, org_a, org_b):
    response = web.post("/collections/new/", {"name": "Copy", "readable_id": "globex-docs"})
    assert response.status_code == 422
    assert "already exists" in response.context["form"].errors["readable_id"][0]


def test_create_collection_needs_csrf(org_a):
    from django.test import Client

    from tests.web.conftest import user_of

    client = Client(enforce_csrf_checks=True)
    client.force_login(user_of(org_a))
    assert client.post("/collections/new/", {"name": "Sneaky one"}).status_code == 403
