"""Which sources each auth provider serves, as /api/sources shows it."""

from __future__ import annotations

import pytest

from connections.auth_providers.registry import supported_auth_providers
from connections.sources.github import GitHubSource
from tests.connections.auth_provider_cast import NotesSource


def test_github_is_served_by_composio_only():
    # Pipedream shares no GitHub token (its own OAuth client), so Airweave blocks it too.
    assert supported_auth_providers(GitHubSource) == ["composio"]


def test_source_without_auth_provider_method_has_none():
    from connections.sources.stub import StubSource

    assert supported_auth_providers(StubSource) == []


def test_unblocked_source_is_served_by_both():
    assert supported_auth_providers(NotesSource) == ["composio", "pipedream"]


@pytest.mark.django_db
def test_sources_api_lists_supported_auth_providers(api):
    by_name = {s["short_name"]: s for s in api.get("/api/sources").json()}
    assert by_name["github"]["supported_auth_providers"] == ["composio"]
    assert by_name["stub"]["supported_auth_providers"] == []
