"""provider_credentials: fetched from the provider at sync time, cached encrypted for 5 minutes."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from django.core.cache import cache

from connections.auth_providers import services
from connections.auth_providers.base import AccountGone, ProviderCredentialsInvalid
from connections.services import source_connection_credentials
from syncs.models import SyncJob
from tests.connections.auth_provider_cast import (
    ACCOUNT,
    VALID_TOKEN,
    github_via_composio,
)
from tests.syncs.conftest import run

pytestmark = pytest.mark.django_db


@pytest.fixture
def github_a(org_a, github_repo, composio_a):
    cache.clear()
    return github_via_composio(org_a, github_repo)


def later(monkeypatch, seconds: float) -> None:
    """Move the credentials cache's clock ``seconds`` ahead."""
    now = time.time() + seconds
    monkeypatch.setattr(services, "time", SimpleNamespace(time=lambda: now))


def test_credentials_are_mapped_to_the_source_fields(github_a):
    assert source_connection_credentials(github_a) == {
        "access_token": VALID_TOKEN,
        "personal_access_token": VALID_TOKEN,
    }


def test_create_primes_the_cache(github_a, composio):
    reads = composio.account_reads(ACCOUNT)
    source_connection_credentials(github_a)
    assert composio.account_reads(ACCOUNT) == reads


def test_second_sync_within_five_minutes_does_not_call_provider(github_a, composio, monkeypatch):
    cache.clear()
    assert run(github_a).status == SyncJob.Status.COMPLETED
    assert composio.account_reads(ACCOUNT) == 2  # create + first sync
    later(monkeypatch, 299)
    assert run(github_a).status == SyncJob.Status.COMPLETED
    assert composio.account_reads(ACCOUNT) == 2


def test_after_five_minutes_the_provider_is_asked_again(github_a, composio, monkeypatch):
    later(monkeypatch, 300)
    source_connection_credentials(github_a)
    assert composio.account_reads(ACCOUNT) == 2


def test_force_refresh_bypasses_the_cache(github_a, composio):
    source_connection_credentials(github_a, force_refresh=True)
    assert composio.account_reads(ACCOUNT) == 2


def test_cached_value_is_encrypted(github_a):
    key = services._cache_key(github_a, github_a.auth_provider_connection)
    stored = cache.get(key)
    assert stored and VALID_TOKEN not in stored


def test_new_api_key_misses_the_cache(github_a, composio, composio_a):
    services.auth_provider_connection_update(
        connection=composio_a, data={"auth_fields": {"api_key": composio.api_keys.copy().pop()}}
    )
    github_a.auth_provider_connection.refresh_from_db()
    source_connection_credentials(github_a)
    assert composio.account_reads(ACCOUNT) == 2


def test_account_gone_raises_with_category(github_a, composio):
    del composio.accounts[ACCOUNT]
    with pytest.raises(AccountGone) as raised:
        source_connection_credentials(github_a, force_refresh=True)
    assert raised.value.error_category == "auth_provider_account_gone"


def test_refused_key_raises_with_category_and_no_secret(github_a, composio):
    composio.api_keys.clear()
    with pytest.raises(ProviderCredentialsInvalid) as raised:
        source_connection_credentials(github_a, force_refresh=True)
    assert raised.value.error_category == "auth_provider_credentials_invalid"
    assert "comp_" not in str(raised.value)


def test_a_run_can_force_the_provider_past_the_cache(github_a, composio):
    from syncs.engine import build_source

    source = build_source(github_a, cursor={})
    composio.accounts[ACCOUNT]["state"]["val"]["access_token"] = "gho_rotated_token"
    assert source.current_credentials()["personal_access_token"] == VALID_TOKEN
    fresh = source.current_credentials(force_refresh=True)
    assert fresh["personal_access_token"] == "gho_rotated_token"
