"""The Composio client against a local fake of Composio's v3 API (tests/fakes/composio.py)."""

from __future__ import annotations

import pytest

from connections.auth_providers import base
from connections.auth_providers.base import AccountGone, ProviderCredentialsInvalid
from connections.auth_providers.composio import ComposioAuthProvider
from connections.sources.http import HttpError, RetryPolicy
from tests.fakes.composio import VALID_API_KEY, FakeComposio

CONFIG = {"auth_config_id": "ac_github", "account_id": "ca_1"}


@pytest.fixture
def fake(composio_server) -> FakeComposio:
    composio_server.add_account("ca_1", credentials={"access_token": "gho_token"})
    return composio_server


def provider(api_key: str = VALID_API_KEY) -> ComposioAuthProvider:
    return ComposioAuthProvider(auth={"api_key": api_key})


def fetch(**config) -> dict:
    return provider().fetch_credentials(source_short_name="github", config={**CONFIG, **config})


def test_validate_accepts_a_good_key(fake):
    provider().validate()
    assert fake.requests == [("GET", "/api/v3/connected_accounts")]


def test_validate_refuses_a_bad_key_with_composio_reason(fake):
    with pytest.raises(ProviderCredentialsInvalid) as raised:
        provider("comp_bad").validate()
    assert "HTTP 401 (Invalid API key)" in str(raised.value)
    assert "comp_bad" not in str(raised.value)


def test_fetch_returns_the_account_state(fake):
    assert fetch() == {"status": "ACTIVE", "access_token": "gho_token"}


def test_unknown_account_is_gone(fake):
    with pytest.raises(AccountGone, match="has no account 'ca_2'"):
        fetch(account_id="ca_2")


def test_account_of_another_auth_config_is_gone(fake):
    with pytest.raises(AccountGone, match="does not belong to auth config 'ac_other'"):
        fetch(auth_config_id="ac_other")


def test_disabled_account_is_gone(fake):
    fake.accounts["ca_1"]["is_disabled"] = True
    with pytest.raises(AccountGone, match="is disabled"):
        fetch()


def test_account_of_another_app_is_gone(fake):
    fake.accounts["ca_1"]["toolkit"]["slug"] = "slack"
    with pytest.raises(AccountGone, match="is a slack account, not github"):
        fetch()


def test_source_names_map_to_composio_slugs():
    assert ComposioAuthProvider.app_slug("google_drive") == "googledrive"
    assert ComposioAuthProvider.app_slug("github") == "github"


def test_server_errors_are_retried(fake, monkeypatch):
    monkeypatch.setattr(base, "PROVIDER_RETRY_POLICY", RetryPolicy(backoff_base=0))
    fake.fail_next(503, times=2)
    assert fetch()["access_token"] == "gho_token"
    assert fake.account_reads("ca_1") == 3


def test_lasting_outage_is_a_plain_error(fake, monkeypatch):
    monkeypatch.setattr(base, "PROVIDER_RETRY_POLICY", RetryPolicy(max_attempts=2, backoff_base=0))
    fake.fail_next(500, times=2)
    with pytest.raises(HttpError) as raised:
        fetch()
    assert not isinstance(raised.value, base.AuthProviderError)
