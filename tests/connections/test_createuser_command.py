"""`manage.py createuser`: adds a person (by email) to an organization."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command

from connections.models import Membership, Organization

pytestmark = pytest.mark.django_db


def createuser(*args: str) -> str:
    out = StringIO()
    call_command("createuser", *args, stdout=out)
    return out.getvalue()


def test_creates_user_organization_and_membership():
    output = createuser(
        "--org", "initech", "--email", "Peter@Initech.example", "--password", "tps-report-42"
    )
    membership = Membership.objects.get(user__email="peter@initech.example")
    assert membership.organization == Organization.objects.get(slug="initech")
    assert membership.role == "member"
    assert output.startswith("Created peter@initech.example as member of")


def test_password_allows_login():
    createuser(
        "--org", "initech", "--email", "peter@initech.example", "--password", "tps-report-42"
    )
    user = authenticate(username="peter@initech.example", password="tps-report-42")
    assert user is not None


def test_without_password_the_user_cannot_log_in():
    createuser("--org", "initech", "--email", "peter@initech.example")
    assert not get_user_model().objects.get(email="peter@initech.example").has_usable_password()


def test_running_again_updates_role_and_keeps_one_user():
    createuser("--org", "initech", "--email", "peter@initech.example", "--password", "first-pw-1")
    output = createuser("--org", "initech", "--email", "peter@initech.example", "--role", "owner")
    assert output.startswith("Updated")
    assert Membership.objects.get().role == "owner"
    assert authenticate(username="peter@initech.example", password="first-pw-1") is not None


def test_unknown_role_is_refused():
    with pytest.raises(CommandError, match="role"):
        createuser("--org", "initech", "--email", "peter@initech.example", "--role", "admin")
    assert not get_user_model().objects.exists()
