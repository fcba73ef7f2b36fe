"""Shared cast for the auth-provider tests: fake Composio, Pipedream and GitHub, and
organization A's Composio connection. tests/connections/conftest.py offers the fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connections.auth_providers import services
from connections.models import AuthProviderConnection, SourceConnection
from connections.sources.base import BaseSource, SourceEntity, SourceField
from connections.sources.registry import _SOURCES
from tests.fakes.composio import VALID_API_KEY, FakeComposio
from tests.fakes.github import VALID_TOKEN, FakeGitHub
from tests.fakes.pipedream import CLIENT_ID, CLIENT_SECRET, PROJECT_ID  # noqa: F401 - for tests

REPO = "octo/hello"
ACCOUNT = "ca_github1"
AUTH_CONFIG = "ac_github"
PROVIDER_CONFIG = {"auth_config_id": AUTH_CONFIG, "account_id": ACCOUNT}


class NotesSource(BaseSource):
    """A source with an API key that Pipedream serves (GitHub is blocked there)."""

    name = "Notes"
    short_name = "test_ap_notes"
    auth_methods = ("direct", "auth_provider")
    auth_fields = (SourceField("api_key", "API key", required=True, is_secret=True),)

    def validate(self) -> None:
        from connections.sources.base import SourceAuthError

        if self.credentials["api_key"] != "notes-key":
            raise SourceAuthError("the notes service refused the key")

    def generate_entities(self) -> Iterator[SourceEntity]:
        yield SourceEntity("note-1", "test_note", "Note 1", text="hello")


@pytest.fixture
def notes_source(monkeypatch) -> type[NotesSource]:
    monkeypatch.setitem(_SOURCES, NotesSource.short_name, NotesSource)
    return NotesSource


@pytest.fixture
def github_repo(github_server) -> FakeGitHub:
    github_server.add_repo(REPO, {"README.md": "# Hello", "src/app.py": "print('hi')\n"})
    return github_server


@pytest.fixture
def composio(composio_server) -> FakeComposio:
    """Fake Composio with one active GitHub account whose token the fake GitHub accepts."""
    composio_server.add_account(
        ACCOUNT, auth_config_id=AUTH_CONFIG, credentials={"access_token": VALID_TOKEN}
    )
    return composio_server


@pytest.fixture
def composio_a(org_a, composio) -> AuthProviderConnection:
    """Organization A's Composio connection (readable id ``composio-main``)."""
    return services.auth_provider_connection_create(
        organization=org_a.organization,
        data={
            "name": "Composio",
            "readable_id": "composio-main",
            "short_name": "composio",
            "auth_fields": {"api_key": VALID_API_KEY},
        },
    )


def github_body(github_repo: FakeGitHub, **authentication) -> dict:
    return {
        "short_name": "github",
        "readable_collection_id": "acme-docs",
        "config": {"repo_name": REPO, "base_url": github_repo.base_url},
        "authentication": {
            "provider_readable_id": "composio-main",
            "provider_config": dict(PROVIDER_CONFIG),
            **authentication,
        },
        "sync_immediately": False,
    }


def github_via_composio(org_a, github_repo: FakeGitHub, **authentication) -> SourceConnection:
    from connections.services import source_connection_create

    return source_connection_create(
        organization=org_a.organization, data=github_body(github_repo, **authentication)
    )
