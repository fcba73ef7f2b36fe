"""Connecting a source with OAuth (off to the provider and back) or an auth provider."""

from __future__ import annotations

from connections.models import SourceConnection
from syncs.models import SyncJob
from tests.connections.auth_provider_cast import ACCOUNT, AUTH_CONFIG
from tests.connections.auth_provider_cast import REPO as AP_REPO
from tests.connections.oauth_helpers import REPO, authorize, local, redirect_params


def _start(web, world) -> tuple[SourceConnection, str]:
    """Submit the add-source form with "Connect with GitHub"; returns the connection and link."""
    data = {
        "auth_method": "oauth_browser",
        "config_repo_name": REPO,
        "config_base_url": world.github.base_url,
        "schedule": "daily",
    }
    response = web.post("/collections/acme-docs/sources/github/", data)
    assert response.status_code == 302, response.content
    return SourceConnection.objects.get(short_name="github"), response["Location"]


def test_form_offers_connect_with_github_when_the_app_is_configured(web, world):
    content = web.get("/collections/acme-docs/sources/github/").content.decode()
    assert 'value="oauth_browser"' in content and "Connect with GitHub" in content
    assert 'name="client_secret"' in content and 'type="password"' in content


def test_form_offers_only_your_own_app_without_a_platform_app(web, org_a):
    content = web.get("/collections/acme-docs/sources/github/").content.decode()
    assert 'value="oauth_browser"' not in content
    assert 'value="oauth_byoc"' in content


def test_submitting_sends_the_browser_to_the_providers_link(web, world):
    source_connection, location = _start(web, world)
    assert "/api/source-connections/authorize/" in location
    assert source_connection.status == "pending_auth"
    stored = [v for k, v in web.session.items() if k.startswith("weft_oauth_claim:")]
    assert len(stored) == 1 and stored[0].startswith("gAAAA")  # Fernet, not the token


def test_coming_back_claims_the_flow_and_starts_the_first_sync(web, world):
    source_connection, location = _start(web, world)
    back = authorize(location)
    assert redirect_params(back)["status"] == "success"
    response = web.get(local(back))
    assert response["Location"] == f"/connections/{source_connection.pk}/"
    source_connection.refresh_from_db()
    assert source_connection.is_authenticated
    assert SyncJob.objects.filter(source_connection=source_connection).count() == 1


def test_denied_consent_returns_to_the_connection_with_a_message(web, world):
    source_connection, location = _start(web, world)
    back = authorize(location, decision="deny")
    response = web.get(local(back), follow=True)
    assert response.redirect_chain[-1][0] == f"/connections/{source_connection.pk}/"
    assert "Connecting failed: access denied" in response.content.decode()
    assert not SyncJob.objects.filter(source_connection=source_connection).exists()


def test_pending_connection_can_be_authorized_again(web, world):
    source_connection, _ = _start(web, world)
    page = web.get(f"/connections/{source_connection.pk}/").content.decode()
    assert "Authorize with GitHub" in page
    response = web.post(f"/connections/{source_connection.pk}/reauthenticate/")
    assert response.status_code == 302
    assert "/api/source-connections/authorize/" in response["Location"]


def test_return_for_another_organizations_connection_is_404(web, world, org_b):
    other = SourceConnection.objects.create(
        organization=org_b.organization,
        collection=org_b.collection,
        short_name="github",
        name="Other GitHub",
        auth_method="oauth_browser",
    )
    query = f"?status=success&source_connection_id={other.pk}"
    assert web.get(f"/connections/oauth-return/{query}").status_code == 404


def test_form_offers_the_organizations_auth_provider(web, org_a):
    content = web.get("/collections/acme-docs/sources/github/").content.decode()
    assert 'value="auth_provider"' not in content  # none registered yet


def test_connect_through_an_auth_provider(web, composio_a, github_repo):
    page = web.get("/collections/acme-docs/sources/github/").content.decode()
    assert 'value="auth_provider"' in page and 'value="composio-main"' in page
    data = {
        "auth_method": "auth_provider",
        "provider_readable_id": "composio-main",
        "provider_config_auth_config_id": AUTH_CONFIG,
        "provider_config_account_id": ACCOUNT,
        "config_repo_name": AP_REPO,
        "config_base_url": github_repo.base_url,
        "schedule": "daily",
    }
    response = web.post("/collections/acme-docs/sources/github/", data)
    assert response.status_code == 302, response.content
    source_connection = SourceConnection.objects.get(short_name="github")
    assert source_connection.auth_provider_connection == composio_a
    assert source_connection.provider_config["account_id"] == ACCOUNT


def test_auth_provider_errors_name_the_field(web, composio_a, github_repo):
    data = {
        "auth_method": "auth_provider",
        "provider_readable_id": "composio-main",
        "provider_config_auth_config_id": AUTH_CONFIG,
        "config_repo_name": AP_REPO,
        "schedule": "daily",
    }
    response = web.post("/collections/acme-docs/sources/github/", data)
    assert response.status_code == 422
    assert response.context["form"].errors["provider_config_account_id"]
