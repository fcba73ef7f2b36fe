"""The Pipedream Connect client against a local fake of its API (tests/fakes/pipedream.py)."""

from __future__ import annotations

import pytest

from connections.auth_providers.base import AccountGone, ProviderCredentialsInvalid
from connections.auth_providers.pipedream import PipedreamAuthProvider
from tests.fakes.pipedream import CLIENT_ID, CLIENT_SECRET, PROJECT_ID, FakePipedream

CONFIG = {
    "project_id": PROJECT_ID,
    "account_id": "apn_1",
    "external_user_id": "user-1",
    "environment": "production",
}


@pytest.fixture
def pipedream(pipedream_server) -> FakePipedream:
    pipedream_server.add_account("apn_1", app="notion", credentials={"oauth_access_token": "tok"})
    return pipedream_server


def provider(secret: str = CLIENT_SECRET) -> PipedreamAuthProvider:
    return PipedreamAuthProvider(auth={"client_id": CLIENT_ID, "client_secret": secret})


def fetch(**config) -> dict:
    return provider().fetch_credentials(source_short_name="notion", config={**CONFIG, **config})


def test_validate_gets_a_client_credentials_token(pipedream):
    provider().validate()
    assert pipedream.requests == [("POST", "/v1/oauth/token")] and pipedream.tokens


def test_validate_refuses_a_wrong_secret(pipedream):
    with pytest.raises(ProviderCredentialsInvalid) as raised:
        provider("wrong-secret").validate()
    assert "Client authentication failed" in str(raised.value)
    assert "wrong-secret" not in str(raised.value)


def test_fetch_returns_the_account_credentials(pipedream):
    assert fetch() == {"oauth_access_token": "tok"}
    assert pipedream.account_reads("apn_1") == 1


def test_environment_selects_the_accounts(pipedream):
    with pytest.raises(AccountGone, match="has no account 'apn_1'"):
        fetch(environment="development")


def test_account_of_another_external_user_is_gone(pipedream):
    with pytest.raises(AccountGone, match="does not belong to external user 'user-2'"):
        fetch(external_user_id="user-2")


def test_dead_account_is_gone(pipedream):
    pipedream.add_account("apn_2", app="notion", credentials={"x": "y"}, dead=True)
    with pytest.raises(AccountGone, match="is dead \\(token revoked\\)"):
        fetch(account_id="apn_2")


def test_account_without_shared_credentials_is_refused(pipedream):
    pipedream.add_account("apn_3", app="notion", credentials={})
    with pytest.raises(ProviderCredentialsInvalid, match="your own OAuth client"):
        fetch(account_id="apn_3")


def test_masked_client_id_shows_seven_and_four():
    assert PipedreamAuthProvider.masked_client_id({"client_id": CLIENT_ID}) == "pd_clie...cdef"
