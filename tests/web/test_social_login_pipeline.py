"""Who "log in with GitHub/Google" lets in: known people, allowed newcomers, nobody else."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory
from social_django.utils import load_strategy

from connections.models import Membership
from web.pipeline import only_verified_email, require_known_person


@pytest.fixture
def strategy(db):
    request = RequestFactory().get("/auth/complete/github/")
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return load_strategy(request)


def test_known_person_passes_through(strategy, org_a):
    user = get_user_model().objects.get(email="owner@acme.test")
    assert require_known_person(strategy, {"email": "owner@acme.test"}, user=user) is None


def test_stranger_is_sent_back_to_login_with_a_message(strategy, settings):
    settings.WEFT_SOCIAL_SIGNUP_ORGANIZATION = ""
    response = require_known_person(strategy, {"email": "eve@example.com"})
    assert response.status_code == 302 and response.url == "/login/"
    (message,) = get_messages(strategy.request)
    assert "No Weft account uses eve@example.com" in str(message)
    assert not get_user_model().objects.filter(email="eve@example.com").exists()


def test_newcomer_joins_the_signup_organization_as_member(strategy, settings):
    settings.WEFT_SOCIAL_SIGNUP_ORGANIZATION = "acme"
    result = require_known_person(strategy, {"email": "New@Acme.test"})
    assert result["is_new"] is True and result["user"].email == "new@acme.test"
    membership = Membership.objects.get(user=result["user"])
    assert (membership.organization.slug, membership.role) == ("acme", "member")


def test_newcomer_from_another_domain_is_refused(strategy, settings):
    settings.WEFT_SOCIAL_SIGNUP_ORGANIZATION = "acme"
    settings.WEFT_SOCIAL_SIGNUP_DOMAINS = ["acme.test"]
    response = require_known_person(strategy, {"email": "eve@example.com"})
    assert response.url == "/login/"
    assert not get_user_model().objects.filter(email="eve@example.com").exists()


def test_unverified_github_email_is_forgotten():
    emails = [{"email": "owner@acme.test", "primary": True, "verified": False}]
    result = only_verified_email({"email": "owner@acme.test"}, {"emails": emails})
    assert result == {"details": {"email": ""}}


def test_verified_emails_are_kept():
    emails = [{"email": "owner@acme.test", "primary": True, "verified": True}]
    assert only_verified_email({"email": "owner@acme.test"}, {"emails": emails}) is None
    assert only_verified_email({"email": "a@b.test"}, {"email_verified": True}) is None


def test_unverified_google_email_is_forgotten():
    result = only_verified_email({"email": "a@b.test"}, {"email_verified": False})
    assert result["details"]["email"] == ""
