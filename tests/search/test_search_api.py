from __future__ import annotations

import pytest
from airweave.types import SearchV2Response

from syncs.models import SyncJob
from tests.search.conftest import run_sync, stub_connection, write_entities


def instant(tenant, body: dict, readable_id: str | None = None, suffix: str = ""):
    readable_id = readable_id or tenant.collection.readable_id
    url = f"/api/collections/{readable_id}/search/instant{suffix}"
    return tenant.client.post(url, body, format="json")


@pytest.fixture
def synced(org_a):
    source_connection = stub_connection(org_a, entity_count=30, text_words=40)
    run_sync(source_connection)
    return source_connection


@pytest.mark.dbspecific
def test_instant_results_parse_as_the_sdk_response(org_a, synced):
    response = instant(org_a, {"query": "invoice payment", "limit": 5})
    assert response.status_code == 200
    parsed = SearchV2Response.model_validate(response.json())
    assert 0 < len(parsed.results) <= 5
    first = parsed.results[0]
    assert first.entity_id.endswith("__chunk_0")
    assert first.airweave_system_metadata.source_name == "stub"
    assert first.airweave_system_metadata.original_entity_id + "__chunk_0" == first.entity_id
    assert first.airweave_system_metadata.sync_id == str(synced.sync.pk)


def test_results_say_when_the_entity_was_synced_and_if_the_last_sync_failed(org_a, synced):
    fresh = instant(org_a, {"query": "invoice"}).json()["results"][0]["freshness"]
    assert fresh["synced_at"].startswith("20") and fresh["last_sync_failed"] is False
    job = SyncJob.objects.filter(sync=synced.sync).latest("created_at")
    SyncJob.objects.filter(pk=job.pk).update(status=SyncJob.Status.FAILED)
    stale = instant(org_a, {"query": "invoice"}).json()["results"][0]["freshness"]
    assert stale["last_sync_failed"] is True


def test_limit_and_offset_page_through_the_ranking(org_a, synced):
    everything = [r["entity_id"] for r in instant(org_a, {"query": "invoice"}).json()["results"]]
    page = instant(org_a, {"query": "invoice", "limit": 3, "offset": 2}).json()["results"]
    assert [r["entity_id"] for r in page] == everything[2:5]


def test_empty_collection_returns_an_empty_list(org_a):
    response = instant(org_a, {"query": "anything at all"})
    assert response.status_code == 200
    assert response.json() == {"results": []}


def test_other_org_collection_is_404(org_a, org_b, synced):
    response = instant(org_b, {"query": "invoice"}, readable_id=org_a.collection.readable_id)
    assert response.status_code == 404


def test_unknown_collection_is_404(org_a):
    assert instant(org_a, {"query": "x"}, readable_id="no-such-collection").status_code == 404


def test_without_api_key_is_401(anon, org_a):
    url = f"/api/collections/{org_a.collection.readable_id}/search/instant"
    assert anon.post(url, {"query": "x"}, format="json").status_code == 401


def test_trailing_slash_is_accepted(org_a, synced):
    assert instant(org_a, {"query": "invoice"}, suffix="/").status_code == 200


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({}, ["body", "query"]),
        ({"query": "   "}, ["body", "query"]),
        ({"query": "x" * 2001}, ["body", "query"]),
        ({"query": 5}, ["body", "query"]),
        ({"query": "x", "limit": 0}, ["body", "limit"]),
        ({"query": "x", "limit": 1001}, ["body", "limit"]),
        ({"query": "x", "offset": -1}, ["body", "offset"]),
        ({"query": "x", "retrieval_strategy": "vector"}, ["body", "retrieval_strategy"]),
    ],
)
def test_invalid_request_is_422_naming_the_field(org_a, body, loc):
    response = instant(org_a, body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == loc


def test_semantic_without_an_embedder_is_400_saying_how_to_enable_it(org_a):
    response = instant(org_a, {"query": "x", "retrieval_strategy": "semantic"})
    assert response.status_code == 400
    assert "WEFT_EMBEDDER" in response.json()["detail"]


def test_neural_is_the_older_name_of_semantic(org_a):
    response = instant(org_a, {"query": "x", "retrieval_strategy": "neural"})
    assert response.status_code == 400
    assert "WEFT_EMBEDDER" in response.json()["detail"]


def test_hybrid_without_an_embedder_is_keyword_search(org_a, synced):
    hybrid = instant(org_a, {"query": "budget risk"}).json()["results"]
    keyword = instant(org_a, {"query": "budget risk", "retrieval_strategy": "keyword"}).json()
    assert hybrid == keyword["results"] and hybrid


def test_classic_without_an_llm_is_instant_hybrid(org_a, synced):
    url = f"/api/collections/{org_a.collection.readable_id}/search/classic"
    classic = org_a.client.post(url, {"query": "budget risk", "limit": 7}, format="json")
    assert classic.status_code == 200
    assert classic.json() == instant(org_a, {"query": "budget risk", "limit": 7}).json()


def test_search_is_counted_by_the_rate_limiter(org_a, settings):
    settings.WEFT_RATE_LIMIT_PER_MINUTE = 2
    statuses = [instant(org_a, {"query": "x"}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_collection_reports_the_embedder_in_use(org_a, settings):
    response = org_a.client.get(f"/api/collections/{org_a.collection.readable_id}")
    assert response.json()["vector_size"] == 0
    assert response.json()["embedding_model_name"] == "none"


def test_results_show_entity_urls_breadcrumbs_and_fields(org_a, source_connection):
    write_entities(
        source_connection,
        {
            "entity_id": "doc-1",
            "name": "Quarterly budget",
            "text": "The budget for the next quarter.",
            "breadcrumbs": [{"entity_id": "f1", "name": "Finance", "entity_type": "folder"}],
            "fields": {"owner": "ana"},
            "web_url": "https://example.invalid/doc-1",
            "url": "https://example.invalid/doc-1/download",
        },
    )
    result = instant(org_a, {"query": "budget"}).json()["results"][0]
    assert result["breadcrumbs"] == [
        {"entity_id": "f1", "name": "Finance", "entity_type": "folder"}
    ]
    assert result["raw_source_fields"] == {"owner": "ana"}
    assert result["web_url"] == "https://example.invalid/doc-1"
    assert result["url"] == "https://example.invalid/doc-1/download"
    assert result["textual_representation"] == "The budget for the next quarter."
