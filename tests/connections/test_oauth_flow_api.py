"""The OAuth browser flow through the API: create, the short link, the callback, the claim."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from connections.models import AuthMethod, Credential, OAuthSession, SourceConnection
from syncs.models import SyncJob
from tests.connections.oauth_helpers import (
    BYOC_ID,
    BYOC_SECRET,
    CLIENT_SECRET,
    authorize,
    callback,
    consent,
    create,
    create_body,
    local,
    redirect_params,
)

pytestmark = pytest.mark.django_db


def test_create_without_authentication_is_pending_with_a_short_link(api, world, org_a):
    body = create(api, world, org_a, redirect_url="https://app.example/done?tab=sources")
    auth = body["auth"]
    assert body["status"] == "pending_auth"
    assert (auth["method"], auth["authenticated"]) == ("oauth_browser", False)
    assert auth["auth_url"].startswith("http://127.0.0.1:8000/api/source-connections/authorize/")
    assert auth["redirect_url"] == "https://app.example/done?tab=sources"
    assert auth["claim_token"] and auth["auth_url_expires"]
    session = OAuthSession.objects.get(source_connection_id=body["id"])
    assert auth["claim_token"] not in (session.claim_token_hash, session.encrypted_overrides)


def test_claim_token_and_link_only_in_the_create_response(api, world, org_a):
    created = create(api, world, org_a)
    fetched = api.get(f"/api/source-connections/{created['id']}").json()
    assert fetched["auth"]["claim_token"] is None and fetched["auth"]["auth_url"] is None


def test_authorize_link_redirects_to_the_provider_with_state_and_pkce(api, world, org_a):
    created = create(api, world, org_a)
    response = api.get(local(created["auth"]["auth_url"]))
    assert response.status_code == 303
    location = response["Location"]
    assert location.startswith(world.provider.authorize_url + "?")
    for part in ("state=", "code_challenge_method=S256", "code_challenge=", "scope=repo"):
        assert part in location
    assert (
        "redirect_uri=http%3A%2F%2F127.0.0.1%3A8000%2Fapi%2Fsource-connections%2Fcallback"
        in location
    )


def test_authorize_link_works_once(api, world, org_a, anon):
    link = local(create(api, world, org_a)["auth"]["auth_url"])
    assert anon.get(link).status_code == 303
    second = anon.get(link + "/")
    assert second.status_code == 404
    assert "expired or invalid" in second.json()["detail"]


def test_authorize_link_expires_after_five_minutes(api, world, org_a, anon):
    link = local(create(api, world, org_a)["auth"]["auth_url"])
    OAuthSession.objects.update(code_expires_at=timezone.now() - timedelta(seconds=1))
    assert anon.get(link).status_code == 404


def test_approved_callback_stores_the_token_and_redirects_with_success(api, world, org_a):
    created = create(api, world, org_a, redirect_url="https://app.example/done?tab=sources")
    location = authorize(created["auth"]["auth_url"])
    assert location.startswith("https://app.example/done?")
    assert redirect_params(location) == {
        "tab": "sources",
        "status": "success",
        "source_connection_id": created["id"],
    }
    source_connection = SourceConnection.objects.get(pk=created["id"])
    assert source_connection.is_authenticated
    token = source_connection.credential.secrets
    assert world.provider.token_is_valid(token["access_token"]) and token["refresh_token"]
    assert token["access_token"] not in source_connection.credential.encrypted_payload
    assert source_connection.credential.expires_at > timezone.now()


def test_token_exchange_sends_the_pkce_verifier_and_the_client_secret(api, world, org_a):
    authorize(create(api, world, org_a)["auth"]["auth_url"])
    exchange = world.provider.token_requests[-1]
    assert exchange["grant_type"] == "authorization_code"
    assert exchange["client_secret"] == CLIENT_SECRET and len(exchange["code_verifier"]) >= 43


def test_denied_consent_redirects_with_an_error(api, world, org_a):
    created = create(api, world, org_a, redirect_url="https://app.example/done")
    location = authorize(created["auth"]["auth_url"], decision="deny")
    assert redirect_params(location) == {"status": "error", "error": "access_denied"}
    assert not SourceConnection.objects.get(pk=created["id"]).is_authenticated
    assert OAuthSession.objects.get().status == OAuthSession.Status.FAILED


def test_a_state_is_single_use(api, world, org_a):
    created = create(api, world, org_a, redirect_url="https://app.example/done")
    url = consent(created["auth"]["auth_url"])
    assert redirect_params(callback(url)["Location"])["status"] == "success"
    replay = callback(url)
    assert replay.status_code == 303
    assert redirect_params(replay["Location"])["error"] == "state_already_used"
    assert OAuthSession.objects.get().status == OAuthSession.Status.IN_PROGRESS


def test_unknown_or_missing_state_is_json_400(anon, db):
    unknown = anon.get("/api/source-connections/callback?state=forged&code=x")
    assert unknown.status_code == 400 and "Unknown OAuth state" in unknown.json()["detail"]
    missing = anon.get("/api/source-connections/callback/?code=x")
    assert missing.status_code == 400 and "state" in missing.json()["detail"]


def test_expired_session_redirects_with_an_error(api, world, org_a):
    created = create(api, world, org_a, redirect_url="https://app.example/done")
    url = consent(created["auth"]["auth_url"])
    OAuthSession.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert redirect_params(callback(url)["Location"])["error"] == "session_expired"


def test_token_exchange_failure_redirects_with_an_error(api, world, org_a):
    created = create(api, world, org_a, redirect_url="https://app.example/done")
    url = consent(created["auth"]["auth_url"])
    world.provider.codes.clear()  # the provider no longer knows the code
    assert redirect_params(callback(url)["Location"])["error"] == "token_exchange_failed"
    assert not Credential.objects.exists()


def test_token_the_source_refuses_redirects_with_an_error(api, world, org_a):
    world.github.token_check = None  # GitHub does not accept the provider's tokens
    created = create(api, world, org_a, redirect_url="https://app.example/done")
    location = authorize(created["auth"]["auth_url"])
    assert redirect_params(location)["error"] == "token_rejected"
    assert "Bad credentials" in OAuthSession.objects.get().error


def test_verify_with_the_claim_token_starts_the_first_sync(api, world, org_a):
    created = create(api, world, org_a)
    authorize(created["auth"]["auth_url"])
    assert not SyncJob.objects.exists()
    response = api.post(
        f"/api/source-connections/{created['id']}/verify-oauth",
        {"claim_token": created["auth"]["claim_token"]},
        format="json",
    )
    assert response.status_code == 200 and response.json()["auth"]["authenticated"] is True
    assert SyncJob.objects.get().status == SyncJob.Status.PENDING
    assert OAuthSession.objects.get().status == OAuthSession.Status.COMPLETED


def test_verify_with_a_wrong_claim_token_is_403(api, world, org_a):
    created = create(api, world, org_a)
    authorize(created["auth"]["auth_url"])
    url = f"/api/source-connections/{created['id']}/verify-oauth/"
    response = api.post(url, {"claim_token": "not-the-token"}, format="json")
    assert response.status_code == 403 and response.json()["detail"] == "Invalid claim token"
    assert not SyncJob.objects.exists()


def test_verify_before_the_callback_is_400(api, world, org_a):
    created = create(api, world, org_a)
    url = f"/api/source-connections/{created['id']}/verify-oauth"
    response = api.post(url, {"claim_token": created["auth"]["claim_token"]}, format="json")
    assert response.status_code == 400 and "pending" in response.json()["detail"]


def test_verify_and_reinitiate_of_another_orgs_connection_are_404(api, world, org_a, org_b):
    created = create(api, world, org_a)
    base = f"/api/source-connections/{created['id']}"
    verify = org_b.client.post(f"{base}/verify-oauth", {"claim_token": "x"}, format="json")
    reinitiate = org_b.client.post(f"{base}/reinitiate-oauth", {}, format="json")
    assert (verify.status_code, reinitiate.status_code) == (404, 404)


def test_reinitiate_replaces_the_link_and_the_claim_token(api, world, org_a, anon):
    created = create(api, world, org_a)
    response = api.post(f"/api/source-connections/{created['id']}/reinitiate-oauth", format="json")
    fresh = response.json()["auth"]
    assert response.status_code == 200 and fresh["claim_token"] != created["auth"]["claim_token"]
    assert anon.get(local(created["auth"]["auth_url"])).status_code == 404
    assert redirect_params(authorize(fresh["auth_url"]))["status"] == "success"


def test_reinitiate_of_an_authenticated_connection_is_400(api, world, org_a):
    created = create(api, world, org_a)
    authorize(created["auth"]["auth_url"])
    response = api.post(f"/api/source-connections/{created['id']}/reinitiate-oauth", format="json")
    assert response.status_code == 400
    assert response.json()["detail"] == "Connection is already authenticated"


def test_sync_immediately_with_a_browser_flow_is_400(api, world, org_a):
    body = create_body(world, org_a, sync_immediately=True)
    response = api.post("/api/source-connections", body, format="json")
    assert response.status_code == 400 and "sync_immediately" in response.json()["detail"]


def test_run_before_authentication_is_400(api, world, org_a):
    created = create(api, world, org_a)
    response = api.post(f"/api/source-connections/{created['id']}/run")
    assert response.status_code == 400 and "not authenticated" in response.json()["detail"]


def test_browser_flow_without_a_platform_app_is_400_naming_the_settings(
    api, world, org_a, settings
):
    settings.WEFT_OAUTH_APPS = {**settings.WEFT_OAUTH_APPS, "github": {}}
    response = api.post("/api/source-connections", create_body(world, org_a), format="json")
    assert response.status_code == 400
    assert "WEFT_OAUTH_GITHUB_CLIENT_ID" in response.json()["detail"]


def test_byoc_uses_the_customers_app_and_keeps_it_with_the_token(api, world, org_a, settings):
    settings.WEFT_OAUTH_APPS = {
        **settings.WEFT_OAUTH_APPS,
        "github": {**settings.WEFT_OAUTH_APPS["github"], "client_id": "", "client_secret": ""},
    }
    authentication = {"client_id": BYOC_ID, "client_secret": BYOC_SECRET}
    created = create(api, world, org_a, authentication=authentication)
    assert created["auth"]["method"] == AuthMethod.OAUTH_BYOC
    assert redirect_params(authorize(created["auth"]["auth_url"]))["status"] == "success"
    assert world.provider.authorize_requests[-1]["client_id"] == BYOC_ID
    stored = SourceConnection.objects.get(pk=created["id"]).credential.secrets
    assert (stored["client_id"], stored["client_secret"]) == (BYOC_ID, BYOC_SECRET)


@pytest.mark.parametrize(
    "authentication",
    [{"client_id": "only-id"}, {"client_secret": "only-secret"}, {"consumer_key": "k"}],
)
def test_byoc_needs_both_values_of_a_pair(api, world, org_a, authentication):
    body = create_body(world, org_a, authentication=authentication)
    response = api.post("/api/source-connections", body, format="json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][:2] == ["body", "authentication"]


def test_source_requiring_byoc_refuses_the_platform_app(api, world, org_a, monkeypatch):
    from connections.sources.github import GitHubSource

    monkeypatch.setattr(GitHubSource, "requires_byoc", True)
    response = api.post("/api/source-connections", create_body(world, org_a), format="json")
    assert response.status_code == 400 and "client_id" in response.json()["detail"]


def test_tokens_and_client_secrets_appear_in_no_response_or_log(api, world, org_a, caplog):
    authentication = {"client_id": BYOC_ID, "client_secret": BYOC_SECRET}
    created = create(api, world, org_a, authentication=authentication)
    with caplog.at_level("DEBUG"):
        authorize(created["auth"]["auth_url"])
    token = SourceConnection.objects.get(pk=created["id"]).credential.secrets
    shown = [
        api.get(f"/api/source-connections/{created['id']}").content.decode(),
        api.get("/api/source-connections").content.decode(),
        caplog.text,
    ]
    for secret in (token["access_token"], token["refresh_token"], BYOC_SECRET):
        assert not any(secret in text for text in shown)


def test_oauth1_consumer_keys_on_an_oauth2_source_are_400(api, world, org_a):
    authentication = {"consumer_key": "ck", "consumer_secret": "cs"}
    body = create_body(world, org_a, authentication=authentication)
    response = api.post("/api/source-connections", body, format="json")
    assert response.status_code == 400 and "client_id" in response.json()["detail"]


def test_reinitiate_of_a_byoc_connection_keeps_the_customers_app(api, world, org_a):
    authentication = {"client_id": BYOC_ID, "client_secret": BYOC_SECRET}
    created = create(api, world, org_a, authentication=authentication)
    url = f"/api/source-connections/{created['id']}/reinitiate-oauth/"
    fresh = api.post(url, {"redirect_url": "https://app.example/again"}, format="json").json()
    assert fresh["auth"]["redirect_url"] == "https://app.example/again"
    location = authorize(fresh["auth"]["auth_url"])
    assert location.startswith("https://app.example/again?status=success")
    assert world.provider.authorize_requests[-1]["client_id"] == BYOC_ID
