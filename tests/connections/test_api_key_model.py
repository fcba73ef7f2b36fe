"""ApiKey: issuing, storage as a hash only, expiry bounds, revocation, last-use bookkeeping."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from connections.models import ApiKey, Organization

pytestmark = pytest.mark.django_db


@pytest.fixture
def organization() -> Organization:
    return Organization.objects.create(name="Initech", slug="initech")


def test_plaintext_is_nowhere_in_the_stored_row(organization):
    key, plaintext = ApiKey.issue(organization=organization, name="ci")
    row = ApiKey.objects.filter(pk=key.pk).values().get()
    assert all(plaintext not in str(value) for value in row.values())
    assert row["key_hash"] == hashlib.sha256(plaintext.encode()).hexdigest()


def test_prefix_is_a_short_display_part_of_the_key(organization):
    key, plaintext = ApiKey.issue(organization=organization)
    assert plaintext.startswith("weft_") and plaintext.startswith(key.prefix)
    assert len(key.prefix) == ApiKey.DISPLAY_CHARS < len(plaintext)


def test_two_keys_are_different(organization):
    _, first = ApiKey.issue(organization=organization)
    _, second = ApiKey.issue(organization=organization)
    assert first != second


def test_default_expiry_is_90_days(organization):
    key, _ = ApiKey.issue(organization=organization)
    assert abs(key.expires_at - (timezone.now() + timedelta(days=90))) < timedelta(seconds=5)


@pytest.mark.parametrize("days", [1, 365])
def test_expiry_bounds_are_allowed(organization, days):
    key, _ = ApiKey.issue(organization=organization, days=days)
    assert (key.expires_at - key.created_at).days in (days - 1, days)


@pytest.mark.parametrize("days", [0, -1, 366])
def test_expiry_outside_1_to_365_days_is_refused(organization, days):
    with pytest.raises(ValidationError, match="between 1 and 365"):
        ApiKey.issue(organization=organization, days=days)
    assert not ApiKey.objects.exists()


def test_find_usable_matches_only_the_exact_key(organization):
    key, plaintext = ApiKey.issue(organization=organization)
    assert ApiKey.find_usable(plaintext) == key
    assert ApiKey.find_usable(plaintext + "x") is None
    assert ApiKey.find_usable(plaintext[:-1]) is None


def test_revoked_and_expired_keys_are_not_usable(organization):
    revoked, revoked_plaintext = ApiKey.issue(organization=organization)
    expired, expired_plaintext = ApiKey.issue(organization=organization)
    revoked.revoke()
    ApiKey.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    assert ApiKey.find_usable(revoked_plaintext) is None
    assert ApiKey.find_usable(expired_plaintext) is None


def test_revoking_twice_keeps_the_first_time(organization):
    key, _ = ApiKey.issue(organization=organization)
    key.revoke()
    first = key.revoked_at
    key.revoke()
    key.refresh_from_db()
    assert key.revoked_at == first


def test_touch_writes_at_most_once_a_minute(organization, django_assert_num_queries):
    key, _ = ApiKey.issue(organization=organization)
    with django_assert_num_queries(1):
        key.touch()
        key.touch()
    assert key.last_used_at is not None


def test_str_shows_prefix_not_the_hash(organization):
    key, plaintext = ApiKey.issue(organization=organization, name="deploy")
    assert str(key) == f"{key.prefix}… (deploy)"
    assert key.key_hash not in str(key) and plaintext not in str(key)
