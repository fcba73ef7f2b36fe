"""Semantic and hybrid retrieval through the embedder interface, with a deterministic embedder."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from connections.selectors import search_index_info
from syncs.models import SearchChunk
from syncs.search import vectors
from syncs.search.filters import parse_filter
from syncs.search.index import remove_entities
from syncs.search.service import reciprocal_rank_fusion, search_instant
from tests.search import embedders  # noqa: F401 - registers the test embedder
from tests.search.conftest import write_entities


@pytest.fixture
def embedder(settings):
    # Rolled-back test transactions can hand out the same chunk ids again.
    vectors.clear_cache()
    settings.WEFT_EMBEDDER = "test-words"


@pytest.fixture
def docs(org_a, source_connection, embedder):
    write_entities(
        source_connection,
        {"entity_id": "car", "name": "Car repair", "text": "Fixing the car engine and brakes."},
        {"entity_id": "dog", "name": "Dog training", "text": "Teaching a dog to sit."},
        {"entity_id": "auto", "name": "Automobile history", "text": "Engines through time."},
        {"entity_id": "soup", "name": "Soup", "text": "Tomato soup recipe."},
    )
    return org_a.collection


def ranked(collection, query: str, strategy: str, **kwargs) -> list[str]:
    hits = search_instant(collection=collection, query=query, retrieval_strategy=strategy, **kwargs)
    return [hit.entity.entity_id for hit in hits]


def test_index_info_describes_the_configured_embedder(embedder):
    assert search_index_info() == (256, "test-word-hash")


def test_every_chunk_stores_a_vector_of_the_embedders_width(docs):
    widths = {len(blob) for blob in SearchChunk.objects.values_list("embedding", flat=True)}
    assert widths == {256 * 4}


def test_semantic_search_finds_meaning_that_keywords_miss(docs):
    assert ranked(docs, "vehicle", "keyword") == []
    assert ranked(docs, "vehicle", "semantic")[:2] in (["car", "auto"], ["auto", "car"])


def test_hybrid_puts_what_both_rankings_found_first(docs):
    keyword = ranked(docs, "car engine", "keyword")
    semantic = ranked(docs, "car engine", "semantic")
    hybrid = ranked(docs, "car engine", "hybrid")
    assert hybrid[0] == "car"
    assert set(hybrid) == set(keyword) | set(semantic)


def test_filters_apply_to_semantic_results(docs):
    only_auto = [
        parse_filter([{"conditions": [{"field": "name", "operator": "contains", "value": "auto"}]}])
    ]
    assert ranked(docs, "vehicle", "semantic", filters=only_auto) == ["auto"]


def test_semantic_pages_with_limit_and_offset(docs):
    everything = ranked(docs, "car dog soup", "semantic")
    assert ranked(docs, "car dog soup", "semantic", limit=2, offset=1) == everything[1:3]


def test_removed_entities_leave_semantic_results(docs, org_a):
    assert "dog" in ranked(docs, "canine", "semantic")
    dog = org_a.collection.entities.get(entity_id="dog")
    remove_entities([dog.pk])
    assert "dog" not in ranked(docs, "canine", "semantic")


def test_reindex_embeds_what_was_indexed_without_an_embedder(org_a, source_connection, settings):
    write_entities(source_connection, {"entity_id": "car", "name": "Car", "text": "A car."})
    assert SearchChunk.objects.get().embedding is None
    vectors.clear_cache()
    settings.WEFT_EMBEDDER = "test-words"
    call_command("search_reindex", "--collection", org_a.collection.readable_id, verbosity=0)
    assert ranked(org_a.collection, "automobile", "semantic") == ["car"]


def test_semantic_api_answers_with_an_embedder(docs, org_a):
    url = f"/api/collections/{docs.readable_id}/search/instant"
    body = {"query": "physician", "retrieval_strategy": "semantic", "limit": 2}
    response = org_a.client.post(url, body, format="json")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 2


def test_reciprocal_rank_fusion_sums_reciprocal_ranks():
    fused = reciprocal_rank_fusion([[("a", 9.0), ("b", 5.0)], [("b", 0.9), ("c", 0.1)]])
    assert [item for item, _ in fused] == ["b", "a", "c"]
    assert fused[0][1] == pytest.approx(1 / 62 + 1 / 61)
