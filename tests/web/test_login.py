"""Log in and out; every page needs a login."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse


def test_login_page_has_labelled_fields_and_csrf(db):
    response = Client().get("/login/")
    assert response.status_code == 200
    assert b'<label for="id_username">Email' in response.content
    assert b"csrfmiddlewaretoken" in response.content


def test_login_with_email_in_any_case(org_a):
    client = Client()
    response = client.post("/login/", {"username": "Owner@Acme.test", "password": "pw-acme"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_wrong_password_keeps_the_email(org_a):
    response = Client().post("/login/", {"username": "owner@acme.test", "password": "nope"})
    assert response.status_code == 200
    assert b"Please enter a correct" in response.content
    assert b'value="owner@acme.test"' in response.content


def test_login_is_csrf_protected(org_a):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "owner@acme.test", "password": "pw-acme"})
    assert response.status_code == 403


def test_logout_is_a_post(web):
    response = web.post("/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert web.get("/").status_code == 302


def test_social_buttons_only_when_configured(db, settings):
    assert b"Log in with GitHub" not in Client().get("/login/").content
    settings.SOCIAL_AUTH_GITHUB_KEY = "client-id"
    settings.AUTHENTICATION_BACKENDS = [
        "social_core.backends.github.GithubOAuth2",
        "django.contrib.auth.backends.ModelBackend",
    ]
    assert b"Log in with GitHub" in Client().get("/login/").content


PAGES = [
    "/",
    "/api-keys/",
    "/collections/acme-docs/",
    "/collections/acme-docs/search/?query=x",
    "/collections/acme-docs/sources/",
    "/collections/acme-docs/sources/stub/",
    "/schedule-preview/?schedule=daily",
]


@pytest.mark.parametrize("path", PAGES)
def test_pages_redirect_anonymous_visitors_to_login(org_a, path):
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login") + "?next=")


def test_connection_pages_need_login(connection_a):
    for suffix in ("", "progress/", "delete/", "reauthenticate/"):
        response = Client().get(f"/connections/{connection_a.pk}/{suffix}")
        assert response.status_code == 302, suffix
    response = Client().post(f"/connections/{connection_a.pk}/run/")
    assert response.status_code == 302
