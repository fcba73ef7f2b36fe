"""The API keys page: create (shown once), list, revoke; the getting-started snippets."""

from __future__ import annotations

from connections.models import ApiKey


def test_lists_keys_by_prefix_with_expiry_and_last_use(web, org_a, org_b):
    response = web.get("/api-keys/")
    assert response.status_code == 200
    content = response.content.decode()
    assert f"{org_a.api_key.prefix}…" in content
    assert org_b.api_key.prefix not in content
    assert "never" in content  # last use


def test_create_shows_the_key_once_and_it_works(web, org_a):
    response = web.post("/api-keys/", {"name": "agent", "days": "30"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    plaintext = response.context["new_key"]
    assert plaintext.encode() in response.content
    assert b"data-copy" in response.content
    assert ApiKey.find_usable(plaintext).organization == org_a.organization
    assert plaintext.encode() not in web.get("/api-keys/").content


def test_getting_started_panel_names_base_url_and_collection(web, org_a, settings):
    settings.WEFT_BASE_URL = "https://weft.example.test"
    content = web.get("/api-keys/").content.decode()
    assert "https://weft.example.test/api/collections/acme-docs/search/instant" in content
    assert "AirweaveSDK" in content
    assert "search-acme-docs" in content


def test_invalid_expiry_is_shown_on_the_field(web, org_a):
    response = web.post("/api-keys/", {"name": "x", "days": "999"})
    assert response.status_code == 422
    assert "days" in response.context["form"].errors
    assert b'value="999"' in response.content


def test_revoke(web, org_a):
    response = web.post(f"/api-keys/{org_a.api_key.pk}/revoke/")
    assert response.status_code == 302
    org_a.api_key.refresh_from_db()
    assert org_a.api_key.is_revoked


def test_revoking_another_organization_key_is_404(web, org_b):
    assert web.post(f"/api-keys/{org_b.api_key.pk}/revoke/").status_code == 404
    org_b.api_key.refresh_from_db()
    assert not org_b.api_key.is_revoked


def test_revoke_needs_a_post(web, org_a):
    assert web.get(f"/api-keys/{org_a.api_key.pk}/revoke/").status_code == 405
