"""The provider registry: every named provider's social-core backend, its platform app from the
environment, and which authentication methods a source can offer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.conf import settings as django_settings
from social_core.backends.oauth import BaseOAuth2PKCE

from connections.oauth.providers import PROVIDERS, available_auth_methods
from connections.oauth.strategy import authorization_url, build_backend, exchange_code
from connections.sources.github import GitHubSource
from tests.connections.oauth_helpers import use_platform_app
from tests.fakes.oauth2 import CLIENT_ID, CLIENT_SECRET

BASE_DIR = Path(django_settings.BASE_DIR)
NAMED = (
    "github",
    "google",
    "slack",
    "notion",
    "linear",
    "atlassian",
    "microsoft",
    "dropbox",
    "hubspot",
)
CALLBACK = "https://weft.example/api/source-connections/callback"


def _query(url: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


def _backend(name: str, scopes=("read",), **kwargs):
    return build_backend(
        PROVIDERS[name],
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        scopes=scopes,
        redirect_uri=CALLBACK,
        **kwargs,
    )


def test_every_named_provider_is_registered_with_a_backend():
    assert set(NAMED) <= set(PROVIDERS)
    for provider in PROVIDERS.values():
        assert provider.backend_class().ACCESS_TOKEN_URL.startswith("https://")
        assert issubclass(provider.backend_class(), BaseOAuth2PKCE) == provider.pkce


@pytest.mark.parametrize(
    ("name", "host", "expected"),
    [
        ("github", "github.com", {"scope": "read"}),
        ("google", "accounts.google.com", {"access_type": "offline", "prompt": "consent"}),
        ("slack", "slack.com", {"scope": "read"}),
        ("notion", "api.notion.com", {"owner": "user"}),
        ("linear", "linear.app", {"scope": "read"}),
        ("atlassian", "auth.atlassian.com", {"audience": "api.atlassian.com"}),
        ("microsoft", "login.microsoftonline.com", {"scope": "read"}),
        ("dropbox", "www.dropbox.com", {"token_access_type": "offline"}),
        ("hubspot", "app.hubspot.com", {"scope": "read"}),
    ],
)
def test_authorization_url_uses_the_providers_endpoint_and_parameters(name, host, expected):
    url = authorization_url(_backend(name), "the-state")
    query = _query(url)
    assert urlsplit(url).hostname == host
    assert (query["client_id"], query["state"], query["redirect_uri"]) == (
        CLIENT_ID,
        "the-state",
        CALLBACK,
    )
    assert expected.items() <= query.items()
    assert ("code_challenge" in query) == PROVIDERS[name].pkce


def test_slack_uses_the_v2_app_flow():
    assert authorization_url(_backend("slack"), "s").startswith(
        "https://slack.com/oauth/v2/authorize?"
    )


@pytest.mark.parametrize("name", NAMED)
def test_code_exchange_against_the_fake_provider(name, settings, oauth_provider):
    """Each backend, pointed at the fake by configuration, completes a real exchange."""
    use_platform_app(settings, oauth_provider, name)
    backend = _backend(name)
    url = authorization_url(backend, "st")
    assert url.startswith(oauth_provider.authorize_url + "?")
    query = _query(url)
    fields = {
        k: query.get(k, "")
        for k in ("client_id", "redirect_uri", "state", "scope", "code_challenge")
    }
    answer = httpx.post(
        f"{oauth_provider.base_url}/authorize/decision", data={**fields, "decision": "approve"}
    )
    callback = _query(answer.headers["Location"])
    returning = _backend(name, session=backend.strategy.session, request_data=callback)
    token = exchange_code(returning, "st")
    assert oauth_provider.token_is_valid(token["access_token"]) and token["refresh_token"]


def test_without_a_platform_app_only_byoc_is_offered(settings):
    settings.WEFT_OAUTH_APPS = {name: {} for name in PROVIDERS}
    methods = available_auth_methods(GitHubSource)
    assert "oauth_byoc" in methods and "oauth_browser" not in methods
    assert {"direct", "oauth_token"} <= set(methods)


def test_with_a_platform_app_the_browser_flow_is_offered(settings, oauth_provider):
    use_platform_app(settings, oauth_provider)
    assert {"oauth_browser", "oauth_byoc"} <= set(available_auth_methods(GitHubSource))


def test_a_source_requiring_byoc_never_offers_the_platform_app(
    settings, oauth_provider, monkeypatch
):
    use_platform_app(settings, oauth_provider)
    monkeypatch.setattr(GitHubSource, "requires_byoc", True)
    assert "oauth_browser" not in available_auth_methods(GitHubSource)


@pytest.mark.django_db
def test_sources_api_lists_only_methods_that_can_work(api, settings, oauth_provider):
    settings.WEFT_OAUTH_APPS = {name: {} for name in PROVIDERS}
    before = api.get("/api/sources/github").json()["auth_methods"]
    use_platform_app(settings, oauth_provider)
    after = api.get("/api/sources/github").json()["auth_methods"]
    assert "oauth_browser" not in before and "oauth_browser" in after


def test_env_example_and_docs_list_every_provider_setting():
    example = (BASE_DIR / ".env.example").read_text()
    docs = (BASE_DIR / "docs" / "configuration.md").read_text()
    for name in PROVIDERS:
        for suffix in ("CLIENT_ID", "CLIENT_SECRET", "AUTHORIZE_URL", "TOKEN_URL"):
            variable = f"WEFT_OAUTH_{name.upper()}_{suffix}"
            assert f"# {variable}=" in example and f"| `{variable}` |" in docs


_DUMP = """
import json
from config import settings as s
print(json.dumps({
    "github": s.WEFT_OAUTH_APPS["github"],
    "backends": s.AUTHENTICATION_BACKENDS,
    "login_key": getattr(s, "SOCIAL_AUTH_GITHUB_KEY", None),
    "login_token_url": getattr(s, "SOCIAL_AUTH_GITHUB_ACCESS_TOKEN_URL", None),
}))
"""


def test_platform_apps_and_social_login_come_from_the_environment(tmp_path):
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env.update(
        WEFT_DATA_DIR=str(tmp_path),
        WEFT_OAUTH_GITHUB_CLIENT_ID="gh-id",
        WEFT_OAUTH_GITHUB_CLIENT_SECRET="gh-secret",
        WEFT_OAUTH_GITHUB_TOKEN_URL="https://ghe.example/login/oauth/access_token",
    )
    result = subprocess.run(
        [sys.executable, "-c", _DUMP],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    values = json.loads(result.stdout)
    assert values["github"]["client_id"] == "gh-id" and values["login_key"] == "gh-id"
    assert "social_core.backends.github.GithubOAuth2" in values["backends"]
    assert values["login_token_url"] == "https://ghe.example/login/oauth/access_token"


@pytest.mark.django_db
def test_log_in_with_github_button_starts_at_the_provider(settings):
    """The login page's button posts (with its CSRF token) to social-auth's begin view."""
    from django.test import Client

    settings.AUTHENTICATION_BACKENDS = [
        *settings.AUTHENTICATION_BACKENDS,
        "social_core.backends.github.GithubOAuth2",
    ]
    settings.SOCIAL_AUTH_GITHUB_KEY, settings.SOCIAL_AUTH_GITHUB_SECRET = "gh-id", "gh-secret"
    browser = Client(enforce_csrf_checks=True)
    page = browser.get("/login/").content.decode()
    assert '<form method="post" action="/auth/login/github/">' in page
    response = browser.post(
        "/auth/login/github/", {"csrfmiddlewaretoken": browser.cookies["csrftoken"].value}
    )
    query = _query(response["Location"])
    assert response["Location"].startswith("https://github.com/login/oauth/authorize?")
    assert query["client_id"] == "gh-id"
    assert query["redirect_uri"] == "http://testserver/auth/complete/github/"
