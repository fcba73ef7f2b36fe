"""The official Airweave SDK, unchanged, on a live Weft: a GitHub connection whose token comes
from (fake) Composio, its first sync, the account going away, and the recovery.

SDK 0.9.62 has no client for /auth-providers, so the provider connection is registered with a
plain request on the SDK's own HTTP client; everything else goes through the SDK.
"""

from __future__ import annotations

import httpx
import pytest
from airweave import AirweaveSDK
from airweave.core.api_error import ApiError
from airweave.types import AuthProviderAuthentication

from syncs.engine import run_sync_job
from tests.connections.auth_provider_cast import (
    ACCOUNT,
    PROVIDER_CONFIG,
    REPO,
    VALID_API_KEY,
    VALID_TOKEN,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.dbspecific]


@pytest.fixture
def http():
    with httpx.Client(timeout=20, follow_redirects=False) as client:
        yield client


@pytest.fixture
def sdk(live_server, http, org_a) -> AirweaveSDK:
    return AirweaveSDK(
        api_key=org_a.plaintext_key, base_url=live_server.url + "/api", httpx_client=http
    )


@pytest.fixture
def registered(live_server, http, org_a, composio) -> dict:
    response = http.post(
        live_server.url + "/api/auth-providers/",
        json={
            "name": "Composio",
            "readable_id": "composio-sdk",
            "short_name": "composio",
            "auth_fields": {"api_key": VALID_API_KEY},
        },
        headers={"x-api-key": org_a.plaintext_key},
    )
    assert response.status_code == 200, response.text
    return response.json()


def create(sdk, org_a, github_repo, **provider_config):
    return sdk.source_connections.create(
        short_name="github",
        readable_collection_id=org_a.collection.readable_id,
        config={"repo_name": REPO, "base_url": github_repo.base_url},
        authentication=AuthProviderAuthentication(
            provider_readable_id="composio-sdk",
            provider_config={**PROVIDER_CONFIG, **provider_config},
        ),
    )


def run_latest(sdk, source_connection_id) -> str:
    job = sdk.source_connections.get_source_connection_jobs(source_connection_id)[0]
    return run_sync_job(job.id)


def test_sdk_creates_and_syncs_through_composio(sdk, org_a, github_repo, registered):
    created = create(sdk, org_a, github_repo)
    assert (created.auth.method, created.auth.provider_readable_id, created.status) == (
        "auth_provider",
        "composio-sdk",
        "active",
    )
    assert run_latest(sdk, created.id) == "completed"
    fetched = sdk.source_connections.get(created.id)
    assert fetched.sync.last_job.status == "completed" and fetched.entities.total_entities > 0
    assert VALID_TOKEN not in fetched.model_dump_json()


def test_sdk_sees_github_supporting_composio(sdk):
    assert sdk.sources.get("github").supported_auth_providers == ["composio"]


def test_sdk_unknown_provider_connection_is_404(sdk, org_a, github_repo, registered):
    with pytest.raises(ApiError) as raised:
        sdk.source_connections.create(
            short_name="github",
            readable_collection_id=org_a.collection.readable_id,
            config={"repo_name": REPO, "base_url": github_repo.base_url},
            authentication=AuthProviderAuthentication(provider_readable_id="nope"),
        )
    assert (raised.value.status_code, raised.value.body) == (
        404,
        {"detail": "Auth provider 'nope' not found"},
    )


def test_sdk_wrong_account_is_400(sdk, org_a, github_repo, registered):
    with pytest.raises(ApiError) as raised:
        create(sdk, org_a, github_repo, account_id="ca_unknown")
    assert raised.value.status_code == 400


def test_sdk_account_gone_then_recovered(sdk, org_a, github_repo, composio, registered):
    from django.core.cache import cache

    created = create(sdk, org_a, github_repo)
    run_latest(sdk, created.id)
    del composio.accounts[ACCOUNT]
    cache.clear()
    sdk.source_connections.run(created.id)
    assert run_latest(sdk, created.id) == "failed"
    broken = sdk.source_connections.get(created.id)
    assert (broken.status, broken.error_category, broken.provider_short_name) == (
        "needs_reauth",
        "auth_provider_account_gone",
        "composio",
    )
    composio.add_account("ca_again", credentials={"access_token": VALID_TOKEN})
    fixed = sdk.source_connections.update(
        created.id,
        authentication=AuthProviderAuthentication(
            provider_readable_id="composio-sdk", provider_config={"account_id": "ca_again"}
        ),
    )
    assert fixed.status == "active"
    sdk.source_connections.run(created.id)
    assert run_latest(sdk, created.id) == "completed"
