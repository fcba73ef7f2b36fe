"""The organization switcher and the session's current organization."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.test import Client

from connections import services


def test_single_organization_shows_its_name_without_switcher(web):
    response = web.get("/")
    assert b"org-switcher" not in response.content
    assert b"acme" in response.content


def test_switcher_lists_every_organization_and_switches(web, org_a, org_b):
    services.member_add(organization_slug="globex", email="owner@acme.test")
    response = web.get("/")
    assert b'name="organization"' in response.content
    assert b"Acme Docs" in response.content
    response = web.post("/organization/", {"organization": str(org_b.organization.pk)})
    assert response.status_code == 302
    page = web.get("/")
    assert b"Globex Docs" in page.content
    assert b"Acme Docs" not in page.content


def test_switching_to_an_organization_you_are_not_in_is_404(web, org_b):
    response = web.post("/organization/", {"organization": str(org_b.organization.pk)})
    assert response.status_code == 404
    assert b"Acme Docs" in web.get("/").content


def test_switch_needs_a_post(web, org_a):
    assert web.get("/organization/").status_code == 405


def test_user_without_organization_is_told_so(db):
    user = get_user_model().objects.create_user("loner@example.test", "loner@example.test", "pw")
    client = Client()
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 403
    assert b"not in an organization" in response.content
