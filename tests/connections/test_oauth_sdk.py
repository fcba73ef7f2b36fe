"""The official Airweave SDK, unchanged, creating OAuth connections on a live Weft: the browser
flow with the platform app, the customer's own app (BYOC), and an injected token."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from airweave import AirweaveSDK
from airweave.types import OAuthBrowserAuthentication, OAuthTokenAuthentication

from tests.connections.oauth_helpers import BYOC_ID, BYOC_SECRET, REPO

# Also on SQLite: `make run` serves the SDK from SQLite.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.dbspecific]


@pytest.fixture
def live(settings, live_server, world):
    """Links in responses point at the live server, where the provider sends the browser."""
    settings.WEFT_BASE_URL = live_server.url
    return live_server.url


@pytest.fixture
def sdk(live, org_a):
    with httpx.Client(timeout=20, follow_redirects=False) as client:
        yield AirweaveSDK(api_key=org_a.plaintext_key, base_url=live + "/api", httpx_client=client)


def _query(url: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


def browse(auth_url: str) -> dict[str, str]:
    """What a browser does: open the link, approve, follow the callback; the final query."""
    provider_url = httpx.get(auth_url).headers["Location"]
    assert "Approve" in httpx.get(provider_url).text  # the consent page
    query = _query(provider_url)
    fields = {
        k: query.get(k, "")
        for k in ("client_id", "redirect_uri", "state", "scope", "code_challenge")
    }
    base = provider_url.split("/authorize", 1)[0]
    answer = httpx.post(f"{base}/authorize/decision", data={**fields, "decision": "approve"})
    landed = httpx.get(answer.headers["Location"])
    assert landed.status_code == 303
    return _query(landed.headers["Location"])


def verify(live: str, tenant, source_connection) -> int:
    response = httpx.post(
        f"{live}/api/source-connections/{source_connection.id}/verify-oauth",
        json={"claim_token": source_connection.auth.claim_token},
        headers={"x-api-key": tenant.plaintext_key},
    )
    return response.status_code


def github_config(world) -> dict:
    return {"repo_name": REPO, "base_url": world.github.base_url}


def test_browser_flow_with_the_platform_app(sdk, live, world, org_a):
    created = sdk.source_connections.create(
        short_name="github",
        readable_collection_id=org_a.collection.readable_id,
        config=github_config(world),
        redirect_url="https://app.example/done",
    )
    assert (created.status, created.auth.method, created.auth.authenticated) == (
        "pending_auth",
        "oauth_browser",
        False,
    )
    assert created.auth.auth_url.startswith(live) and created.auth.claim_token
    assert browse(created.auth.auth_url)["status"] == "success"
    assert verify(live, org_a, created) == 200
    fetched = sdk.source_connections.get(created.id)
    assert fetched.auth.authenticated and fetched.auth.claim_token is None


def test_browser_flow_with_the_customers_own_app(sdk, live, world, org_a):
    created = sdk.source_connections.create(
        short_name="github",
        readable_collection_id=org_a.collection.readable_id,
        config=github_config(world),
        authentication=OAuthBrowserAuthentication(client_id=BYOC_ID, client_secret=BYOC_SECRET),
    )
    assert created.auth.method == "oauth_byoc"
    assert browse(created.auth.auth_url)["source_connection_id"] == str(created.id)
    assert world.provider.authorize_requests[-1]["client_id"] == BYOC_ID
    assert verify(live, org_a, created) == 200


def test_injected_oauth_token(sdk, world, org_a):
    issued = world.provider.issue("weft-platform-app")
    created = sdk.source_connections.create(
        short_name="github",
        readable_collection_id=org_a.collection.readable_id,
        config=github_config(world),
        authentication=OAuthTokenAuthentication(
            access_token=issued["access_token"], refresh_token=issued["refresh_token"]
        ),
        sync_immediately=False,
    )
    assert (created.auth.method, created.auth.authenticated, created.status) == (
        "oauth_token",
        True,
        "active",
    )
