"""From a provider's credential payload to the fields a source reads."""

from __future__ import annotations

import pytest

from connections.auth_providers.base import AuthProviderError
from connections.auth_providers.mapping import source_credentials
from connections.sources.github import GitHubSource
from tests.connections.auth_provider_cast import NotesSource


def test_oauth_token_becomes_github_personal_access_token():
    payload = {"access_token": "gho_1", "refresh_token": "r", "status": "ACTIVE"}
    assert source_credentials(GitHubSource, payload, provider="Composio") == {
        "access_token": "gho_1",
        "personal_access_token": "gho_1",
    }


def test_pipedream_token_name_is_understood():
    credentials = source_credentials(GitHubSource, {"oauth_access_token": "t"}, provider="P")
    assert credentials["personal_access_token"] == "t"


def test_generic_api_key_becomes_api_key():
    assert source_credentials(NotesSource, {"generic_api_key": "k"}, provider="Composio") == {
        "api_key": "k"
    }


def test_payload_without_the_needed_field_names_what_it_has():
    with pytest.raises(AuthProviderError) as raised:
        source_credentials(GitHubSource, {"username": "octo"}, provider="Composio")
    assert str(raised.value) == (
        "The Composio account has no personal_access_token for GitHub "
        "(its credential fields: username)."
    )
