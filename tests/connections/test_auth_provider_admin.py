"""The admin shows auth-provider connections read-only, and never their API credentials."""

from __future__ import annotations

import pytest

from tests.connections.auth_provider_cast import VALID_API_KEY, VALID_TOKEN, github_via_composio

pytestmark = pytest.mark.django_db

LIST = "/admin/connections/authproviderconnection/"


def test_list_shows_connection_and_its_use(admin_client, org_a, github_repo, composio_a):
    github_via_composio(org_a, github_repo)
    page = admin_client.get(LIST).content.decode()
    assert "composio-main" in page and "acme" in page
    assert '<td class="field-in_use">1</td>' in page


def test_change_page_is_read_only_and_secret_free(admin_client, composio_a):
    response = admin_client.get(f"{LIST}{composio_a.pk}/change/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "composio-main" in page and VALID_API_KEY not in page
    assert 'name="name"' not in page  # no editable form field


def test_cannot_add_or_delete_from_admin(admin_client, composio_a):
    assert admin_client.get(f"{LIST}add/").status_code == 403
    assert admin_client.post(f"{LIST}{composio_a.pk}/delete/", {"post": "yes"}).status_code == 403


def test_source_connection_page_shows_provider_not_token(
    admin_client, org_a, github_repo, composio_a
):
    source_connection = github_via_composio(org_a, github_repo)
    url = f"/admin/connections/sourceconnection/{source_connection.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert "ca_github1" in page and "Composio (composio)" in page
    assert VALID_TOKEN not in page
