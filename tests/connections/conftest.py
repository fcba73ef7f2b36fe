"""Fixtures shared by the connections tests: the fake OAuth provider wired as GitHub's app."""

from tests.connections.oauth_helpers import world  # noqa: F401
from tests.fakes.github import github_server  # noqa: F401
from tests.fakes.oauth2 import oauth_provider  # noqa: F401
