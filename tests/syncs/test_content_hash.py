"""The content hash: SHA-256 over a canonical JSON of what an entity says."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from connections.sources.base import Breadcrumb, SourceEntity
from syncs.engine import content_hash

CREATED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def entity(**changes) -> SourceEntity:
    base = SourceEntity(
        entity_id="doc-1",
        entity_type="doc",
        name="Runbook",
        text="Roll back with the release tool.",
        breadcrumbs=[Breadcrumb("ops", "Operations", "folder")],
        fields={"stars": 3, "labels": ["ops"], "owner": {"name": "Ana"}},
        web_url="https://example.invalid/doc-1",
        url="https://cdn.invalid/doc-1?signature=abc",
        created_at=CREATED,
        updated_at=CREATED,
    )
    return dataclasses.replace(base, **changes)


def test_is_a_sha256_hex_digest():
    digest = content_hash(entity())
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert digest == content_hash(entity())


def test_field_order_does_not_matter():
    reordered = {"owner": {"name": "Ana"}, "labels": ["ops"], "stars": 3}
    assert content_hash(entity(fields=reordered)) == content_hash(entity())


@pytest.mark.parametrize(
    "change",
    [
        {"name": "Runbook v2"},
        {"text": "Roll forward."},
        {"entity_type": "page"},
        {"breadcrumbs": [Breadcrumb("ops", "Ops", "folder")]},
        {"fields": {"stars": 4, "labels": ["ops"], "owner": {"name": "Ana"}}},
        {"web_url": "https://example.invalid/moved"},
        {"updated_at": CREATED + timedelta(seconds=1)},
        {"created_at": None},
    ],
)
def test_a_change_in_what_the_entity_says_changes_the_hash(change):
    assert content_hash(entity(**change)) != content_hash(entity())


def test_download_url_is_not_content():
    assert content_hash(entity(url="https://cdn.invalid/doc-1?signature=xyz")) == content_hash(
        entity()
    )


def test_volatile_fields_are_left_out():
    busier = entity(fields={"stars": 99, "labels": ["ops"], "owner": {"name": "Ana"}})
    assert content_hash(busier, volatile=["stars"]) == content_hash(entity(), volatile=["stars"])


def test_entity_id_is_not_part_of_the_content():
    # The id is the key the hash is stored under, not something the entity says.
    assert content_hash(entity(entity_id="doc-2")) == content_hash(entity())


def test_datetimes_hash_as_iso_8601():
    as_text = entity(
        fields={"stars": 3, "labels": ["ops"], "owner": {"name": "Ana"}, "at": CREATED}
    )
    iso = entity(
        fields={"stars": 3, "labels": ["ops"], "owner": {"name": "Ana"}, "at": CREATED.isoformat()}
    )
    assert content_hash(as_text) == content_hash(iso)


def test_nan_is_refused():
    with pytest.raises(ValueError):
        content_hash(entity(fields={"score": float("nan")}))


def test_hash_is_over_compact_sorted_json():
    plain = SourceEntity("e", "t", "n")
    canonical = (
        '{"breadcrumbs":[],"created_at":null,"entity_type":"t","fields":{},"name":"n",'
        '"text":"","updated_at":null,"web_url":""}'
    )
    assert content_hash(plain) == hashlib.sha256(canonical.encode()).hexdigest()
