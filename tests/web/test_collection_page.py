"""The collection page: connections with status, the search box and its results, entities."""

from __future__ import annotations

from syncs.models import Entity
from tests.web.conftest import stub_connection


def test_shows_connections_with_status_and_counts(web, connection_a):
    response = web.get("/collections/acme-docs/")
    assert response.status_code == 200
    row = response.context["rows"][0]
    assert (row.source_connection.name, row.entity_count) == ("Stub docs", 3)
    assert b"badge-active" in response.content
    assert b'href="/collections/acme-docs/sources/"' in response.content


def test_search_filters_offer_the_collection_sources_and_types(web, connection_a):
    form = web.get("/collections/acme-docs/").context["search_form"]
    assert ("stub", "Stub") in form.fields["source"].choices
    assert ("stub_note", "stub_note") in form.fields["entity_type"].choices


def test_other_organization_collection_is_404(web, org_b):
    assert web.get("/collections/globex-docs/").status_code == 404
    assert web.get("/collections/globex-docs/search/?query=x").status_code == 404


def test_search_shows_highlighted_results_with_source_and_link(web, connection_a):
    entity = Entity.objects.filter(source_connection=connection_a).first()
    word = entity.text.split()[3]
    response = web.get("/collections/acme-docs/search/", {"query": word}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.templates[0].name == "web/partials/search_results.html"
    assert f"<mark>{word}</mark>".encode() in response.content.lower()
    assert b"Stub docs" in response.content
    assert b"https://stub.invalid/" in response.content
    assert b"/collections/acme-docs/entities/" in response.content


def test_search_without_htmx_renders_the_whole_page(web, connection_a):
    response = web.get("/collections/acme-docs/search/", {"query": "zzzz-nothing"})
    assert response.status_code == 200
    assert b"<h1>Acme Docs</h1>" in response.content
    assert b"Nothing matched" in response.content


def test_search_filters_by_entity_type(web, connection_a):
    entity = Entity.objects.filter(source_connection=connection_a).first()
    word = entity.text.split()[3]
    other = "stub_document" if entity.entity_type == "stub_note" else "stub_note"
    params = {"query": word, "entity_type": other}
    results = web.get("/collections/acme-docs/search/", params).context["results"]
    assert all(result.entity.entity_type == other for result in results)


def test_search_date_range_excludes_older_entities(web, connection_a):
    params = {"query": "data", "updated_from": "2999-01-01"}
    assert web.get("/collections/acme-docs/search/", params).context["results"] == []


def test_blank_query_is_an_error_next_to_the_box(web, connection_a):
    response = web.get("/collections/acme-docs/search/", {"query": ""}, HTTP_HX_REQUEST="true")
    assert b"This field is required" in response.content


def test_semantic_without_embedder_explains_next_to_strategy(web, connection_a, settings):
    settings.WEFT_EMBEDDER = "none"
    params = {"query": "data", "strategy": "semantic"}
    response = web.get("/collections/acme-docs/search/", params)
    assert response.status_code == 400
    assert "embedder" in response.context["search_form"].errors["strategy"][0]


def test_entity_page_shows_text_and_original_link(web, connection_a):
    entity = Entity.objects.filter(source_connection=connection_a).first()
    response = web.get(f"/collections/acme-docs/entities/{entity.pk}/")
    assert response.status_code == 200
    assert entity.text[:40].encode() in response.content
    assert entity.web_url.encode() in response.content


def test_other_organization_entity_is_404(web, org_a, org_b):
    source_connection = stub_connection(org_b)
    from tests.web.conftest import run_sync

    run_sync(source_connection)
    entity = Entity.objects.filter(source_connection=source_connection).first()
    assert web.get(f"/collections/globex-docs/entities/{entity.pk}/").status_code == 404
    assert web.get(f"/collections/acme-docs/entities/{entity.pk}/").status_code == 404
