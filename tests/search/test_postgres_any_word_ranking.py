"""PostgreSQL only (not marked dbspecific): the any-word ranking scores only the chunks that
can reach the page, and returns what scoring every matching chunk returns."""

from __future__ import annotations

import random

import pytest
from django.db import connection

from syncs.search.filters import parse_filter
from syncs.search.service import search_instant
from tests.search.conftest import write_entities

pytestmark = pytest.mark.django_db

WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]
QUERY = "alpha bravo charlie delta zulu"  # no chunk has zulu: any word may match


@pytest.fixture
def corpus(org_a, source_connection):
    rng = random.Random(11)
    write_entities(
        source_connection,
        *[
            {"entity_id": f"doc-{n}", "text": " ".join(rng.choices(WORDS, k=rng.randint(1, 12)))}
            for n in range(120)
        ],
    )
    return org_a.collection


def every_match_ranked(collection, entity_ids=None) -> list[tuple[int, float]]:
    """The oracle: every chunk with any word (of these entities), scored, sorted."""
    parts = QUERY.split()
    matched = " + ".join("(search_vector @@ to_tsquery('english', %s))::int" for _ in parts)
    tsquery = "to_tsquery('english', %s)"
    only = "AND entity_id IN (SELECT id FROM syncs_entity WHERE entity_id = ANY(%s))"
    sql = (
        f"SELECT id, {matched} + ts_rank_cd(search_vector, {tsquery}, 32) AS score "
        f"FROM syncs_searchchunk WHERE collection_id = %s AND search_vector @@ {tsquery} "
        f"{only if entity_ids else ''} ORDER BY score DESC, id"
    )
    any_word = " | ".join(parts)
    with connection.cursor() as cursor:
        params = [*parts, any_word, collection.pk, any_word]
        cursor.execute(sql, [*params, entity_ids] if entity_ids else params)
        return [(row[0], round(row[1], 6)) for row in cursor.fetchall()]


@pytest.mark.parametrize(("limit", "offset"), [(10, 0), (7, 3), (25, 40), (100, 0), (5, 90)])
def test_pages_equal_scoring_every_match(corpus, limit, offset):
    hits = search_instant(
        collection=corpus, query=QUERY, retrieval_strategy="keyword", limit=limit, offset=offset
    )
    page = [(hit.chunk.pk, round(hit.score, 6)) for hit in hits]
    assert page == every_match_ranked(corpus)[offset : offset + limit]
    assert page


def test_filtered_pages_equal_scoring_every_filtered_match(corpus):
    some = [f"doc-{n}" for n in range(0, 120, 3)]
    condition = {"field": "airweave_system_metadata.original_entity_id", "operator": "in"}
    filters = parse_filter([{"conditions": [{**condition, "value": some}]}])
    hits = search_instant(
        collection=corpus, query=QUERY, retrieval_strategy="keyword", filters=[filters], limit=8
    )
    page = [(hit.chunk.pk, round(hit.score, 6)) for hit in hits]
    assert page == every_match_ranked(corpus, some)[:8]
    assert {hit.entity.entity_id for hit in hits} <= set(some) and page


def test_when_few_chunks_have_two_words_single_word_chunks_fill_the_page(org_a, source_connection):
    write_entities(
        source_connection,
        {"entity_id": "pair", "text": "alpha bravo"},
        *[{"entity_id": f"c-{n}", "text": "charlie " * (n + 1)} for n in range(5)],
        *[{"entity_id": f"d-{n}", "text": "delta"} for n in range(5)],
    )
    hits = search_instant(collection=org_a.collection, query=QUERY, retrieval_strategy="keyword")
    assert [(h.chunk.pk, round(h.score, 6)) for h in hits] == every_match_ranked(org_a.collection)
    assert len(hits) == 11 and hits[0].entity.entity_id == "pair"


def test_when_enough_chunks_have_two_words_they_alone_make_the_page(org_a, source_connection):
    write_entities(
        source_connection,
        *[{"entity_id": f"p-{n}", "text": "alpha charlie " + "delta " * n} for n in range(4)],
        *[{"entity_id": f"s-{n}", "text": "bravo " * 9} for n in range(20)],
    )
    hits = search_instant(
        collection=org_a.collection, query=QUERY, retrieval_strategy="keyword", limit=3
    )
    assert [(h.chunk.pk, round(h.score, 6)) for h in hits] == every_match_ranked(org_a.collection)[
        :3
    ]
    assert {hit.entity.entity_id for hit in hits} <= {f"p-{n}" for n in range(4)}
