"""Renaming and deleting a collection from its settings page."""

from __future__ import annotations

from connections.models import Collection, SourceConnection
from syncs.models import Entity
from tests.web.conftest import stub_connection


def test_rename_keeps_readable_id(web, org_a):
    response = web.post("/collections/acme-docs/settings/", {"name": "Handbook"})
    assert response.status_code == 302
    collection = Collection.objects.get(pk=org_a.collection.pk)
    assert (collection.name, collection.readable_id) == ("Handbook", "acme-docs")
    assert collection.modified_by_email == "owner@acme.test"


def test_rename_too_short_keeps_input_and_names_the_field(web, org_a):
    response = web.post("/collections/acme-docs/settings/", {"name": "ab"})
    assert response.status_code == 422
    assert response.context["form"].errors["name"]
    assert b'value="ab"' in response.content
    assert Collection.objects.get(pk=org_a.collection.pk).name == "Acme Docs"


def test_delete_asks_for_confirmation_with_counts(web, connection_a):
    response = web.get("/collections/acme-docs/delete/")
    assert response.status_code == 200
    assert (response.context["connection_count"], response.context["entity_count"]) == (1, 3)
    assert Collection.objects.filter(readable_id="acme-docs").exists()


def test_delete_removes_connections_and_entities(web, connection_a):
    response = web.post("/collections/acme-docs/delete/")
    assert response.status_code == 302 and response.url == "/"
    assert not Collection.objects.filter(readable_id="acme-docs").exists()
    assert not SourceConnection.objects.filter(pk=connection_a.pk).exists()
    assert not Entity.objects.filter(source_connection_id=connection_a.pk).exists()


def test_other_organizations_collection_is_404(web, org_b):
    assert web.get("/collections/globex-docs/settings/").status_code == 404
    assert web.post("/collections/globex-docs/delete/").status_code == 404
    assert Collection.objects.filter(readable_id="globex-docs").exists()


def test_collection_page_links_to_settings(web, org_a):
    stub_connection(org_a)
    response = web.get("/collections/acme-docs/")
    assert b"/collections/acme-docs/settings/" in response.content
