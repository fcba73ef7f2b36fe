"""connections.api.key_cache: authenticated keys are remembered for a few seconds per process."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from connections.api import key_cache
from connections.models import ApiKey

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    """The cache's monotonic clock, moved by hand."""
    now = [1000.0]
    monkeypatch.setattr(key_cache.time, "monotonic", lambda: now[0])
    return now


def test_key_is_looked_up_once_within_the_cache_time(org_a, clock, django_assert_num_queries):
    key_cache.find_usable(org_a.plaintext_key)
    clock[0] += 4.9
    with django_assert_num_queries(0):
        assert key_cache.find_usable(org_a.plaintext_key).pk == org_a.api_key.pk


def test_revoked_key_is_refused_once_the_cache_time_has_passed(org_a, clock):
    key_cache.find_usable(org_a.plaintext_key)
    # Revoked by another process: this one only learns of it from the database.
    ApiKey.objects.filter(pk=org_a.api_key.pk).update(revoked_at=timezone.now())
    clock[0] += 5
    assert key_cache.find_usable(org_a.plaintext_key) is None


def test_expired_key_is_refused_at_once(org_a, clock):
    remembered = key_cache.find_usable(org_a.plaintext_key)
    # The expiry time has come (well within the cache time): the remembered copy says so too.
    past = timezone.now() - timedelta(seconds=1)
    ApiKey.objects.filter(pk=org_a.api_key.pk).update(expires_at=past)
    remembered.expires_at = past
    assert key_cache.find_usable(org_a.plaintext_key) is None


def test_unknown_key_is_not_remembered(org_a, clock, django_assert_num_queries):
    assert key_cache.find_usable("weft_not-a-key") is None
    with django_assert_num_queries(1):
        key_cache.find_usable("weft_not-a-key")


def test_zero_looks_the_key_up_every_time(org_a, clock, settings, django_assert_num_queries):
    settings.WEFT_API_KEY_CACHE_SECONDS = 0
    key_cache.find_usable(org_a.plaintext_key)
    with django_assert_num_queries(1):
        key_cache.find_usable(org_a.plaintext_key)
