"""Keyword retrieval on each database's own full-text engine (run on PostgreSQL and SQLite)."""

from __future__ import annotations

import pytest

from syncs.search.filters import parse_filter
from syncs.search.service import search_instant
from tests.search.conftest import stub_connection, write_entities

pytestmark = pytest.mark.dbspecific


def ids(collection, query: str, **kwargs) -> list[str]:
    hits = search_instant(
        collection=collection, query=query, retrieval_strategy="keyword", **kwargs
    )
    return [hit.entity.entity_id for hit in hits]


@pytest.fixture
def docs(org_a, source_connection):
    write_entities(
        source_connection,
        {"entity_id": "name-hit", "name": "Deployment checklist", "text": "Steps for a release."},
        {"entity_id": "body-hit", "name": "Notes", "text": "We discussed the deployment today."},
        {"entity_id": "both", "name": "Deployment runbook", "text": "Rollback and deployment."},
        {"entity_id": "other", "name": "Lunch menu", "text": "Soup and bread on Friday."},
        {"entity_id": "phrase", "name": "Errors", "text": "The release notes mention a fix."},
    )
    return org_a.collection


def test_stemmed_words_match(docs):
    assert set(ids(docs, "deployments")) == {"name-hit", "body-hit", "both"}


def test_a_word_in_the_name_ranks_above_the_same_word_in_the_text(docs):
    ranking = ids(docs, "deployment")
    assert ranking.index("name-hit") < ranking.index("body-hit")


def test_when_some_chunk_has_every_word_only_such_chunks_match(docs):
    assert ids(docs, "deployment rollback") == ["both"]


def test_when_no_chunk_has_every_word_more_matches_rank_first(docs):
    assert ids(docs, "rollback soup deployment")[0] == "both"


def test_any_word_of_a_question_finds_documents(docs):
    assert ids(docs, "what is on the lunch menu this week?")[0] == "other"


def test_quoted_phrase_matches_only_the_phrase(docs):
    assert ids(docs, '"release notes"') == ["phrase"]


def test_minus_excludes_a_word(docs):
    assert set(ids(docs, "deployment -rollback")) == {"name-hit", "body-hit"}


def test_only_stop_words_find_nothing(docs):
    assert ids(docs, "the and of") == []


def test_punctuation_and_quotes_in_queries_are_safe(docs):
    assert ids(docs, 'deployment" OR "x\' ; DROP TABLE -- NEAR(') != []


def test_other_collections_are_not_searched(org_a, org_b, docs):
    other = stub_connection(org_b, entity_count=0)
    write_entities(other, {"entity_id": "theirs", "name": "Deployment plan", "text": ""})
    assert "theirs" not in ids(docs, "deployment")
    assert ids(org_b.collection, "deployment") == ["theirs"]


def test_a_page_past_the_every_word_matches_is_empty_not_any_word(docs):
    assert ids(docs, "deployment rollback", limit=5, offset=1) == []


def test_any_word_matches_page_through_one_ranking(docs):
    everything = ids(docs, "rollback soup deployment")
    assert len(everything) == 4
    assert ids(docs, "rollback soup deployment", limit=2, offset=1) == everything[1:3]


def test_filters_hold_when_any_word_may_match(docs):
    notes = parse_filter(
        [{"conditions": [{"field": "name", "operator": "equals", "value": "Notes"}]}]
    )
    assert ids(docs, "rollback soup deployment", filters=[notes]) == ["body-hit"]


def test_a_keyword_page_is_one_statement_with_what_results_show(docs, django_assert_num_queries):
    with django_assert_num_queries(1):
        hits = search_instant(collection=docs, query="soup rollback", retrieval_strategy="keyword")
        shown = [
            (hit.doc_id, hit.source_connection.short_name, hit.last_sync_failed) for hit in hits
        ]
    assert shown == [("both__chunk_0", "stub", False), ("other__chunk_0", "stub", False)]
