"""Fixtures shared by the connections tests: the fake OAuth provider wired as GitHub's app;
fake Composio and Pipedream, a repository on the fake GitHub and org A's Composio connection."""

from tests.connections.auth_provider_cast import (  # noqa: F401
    composio,
    composio_a,
    github_repo,
    notes_source,
)
from tests.connections.oauth_helpers import world  # noqa: F401
from tests.fakes.composio import composio_server  # noqa: F401
from tests.fakes.github import github_server  # noqa: F401
from tests.fakes.oauth2 import oauth_provider  # noqa: F401
from tests.fakes.pipedream import pipedream_server  # noqa: F401
