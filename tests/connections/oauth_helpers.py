"""Shared set-up of the OAuth tests: the fake provider as GitHub's OAuth app, the fake GitHub
API honouring its tokens, and a browser's walk through the flow (without a browser)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from tests.fakes.github import FakeGitHub
from tests.fakes.oauth2 import BYOC_ID, BYOC_SECRET, CLIENT_ID, CLIENT_SECRET, FakeOAuthProvider

__all__ = ["BYOC_ID", "BYOC_SECRET", "CLIENT_ID", "CLIENT_SECRET"]

REPO = "acme/handbook"
FILES = {"README.md": "# Handbook\n\nHow we work.\n", "docs/deploy.md": "Blue-green deploys.\n"}


@dataclass
class OAuthWorld:
    provider: FakeOAuthProvider
    github: FakeGitHub


def use_platform_app(settings, provider: FakeOAuthProvider, name: str = "github") -> None:
    apps = {k: dict(v) for k, v in django_settings.WEFT_OAUTH_APPS.items()}
    apps[name] = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "authorize_url": provider.authorize_url,
        "token_url": provider.token_url,
    }
    settings.WEFT_OAUTH_APPS = apps


@pytest.fixture
def world(settings, oauth_provider, github_server) -> OAuthWorld:
    """GitHub's platform app is the fake provider; the fake GitHub honours its tokens."""
    use_platform_app(settings, oauth_provider)
    github_server.token_check = oauth_provider.token_is_valid
    github_server.add_repo(REPO, FILES)
    return OAuthWorld(oauth_provider, github_server)


def create_body(world: OAuthWorld, tenant, **extra) -> dict:
    return {
        "short_name": "github",
        "readable_collection_id": tenant.collection.readable_id,
        "config": {"repo_name": REPO, "base_url": world.github.base_url},
        **extra,
    }


def create(api: APIClient, world: OAuthWorld, tenant, **extra) -> dict:
    response = api.post(
        "/api/source-connections", create_body(world, tenant, **extra), format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def local(url: str) -> str:
    """The path and query of an absolute Weft URL, for Django's test client."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def consent(auth_url: str, decision: str = "approve") -> str:
    """Open the short link, answer the provider's consent page; returns the callback URL."""
    opened = APIClient().get(local(auth_url))
    assert opened.status_code == 303, opened.content
    provider_url = opened["Location"]
    query = {k: v[-1] for k, v in parse_qs(urlsplit(provider_url).query).items()}
    page = httpx.get(provider_url)
    assert page.status_code == 200 and "Approve" in page.text
    fields = {k: query.get(k, "") for k in ("client_id", "redirect_uri", "state", "scope")}
    fields["code_challenge"] = query.get("code_challenge", "")
    base = provider_url.split("/authorize", 1)[0]
    answer = httpx.post(f"{base}/authorize/decision", data={**fields, "decision": decision})
    assert answer.status_code == 302
    return answer.headers["Location"]


def callback(callback_url: str):
    return APIClient().get(local(callback_url))


def authorize(auth_url: str, decision: str = "approve") -> str:
    """The whole browser side; returns where Weft finally sent the browser."""
    response = callback(consent(auth_url, decision))
    assert response.status_code == 303, response.content
    return response["Location"]


def redirect_params(location: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(location).query).items()}
