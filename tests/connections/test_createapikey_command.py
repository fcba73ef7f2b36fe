"""`manage.py createapikey`: prints only the key, creates the organization if needed."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from connections.models import ApiKey, Organization

pytestmark = pytest.mark.django_db


def createapikey(*args: str) -> str:
    out = StringIO()
    call_command("createapikey", *args, stdout=out)
    return out.getvalue()


def test_prints_only_the_key_on_one_line():
    output = createapikey("--org", "initech")
    lines = output.splitlines()
    assert len(lines) == 1 and output == lines[0] + "\n"
    assert ApiKey.find_usable(lines[0]) is not None


def test_creates_the_missing_organization():
    key = ApiKey.find_usable(createapikey("--org", "initech", "--name", "ci").strip())
    assert key.organization == Organization.objects.get(slug="initech")
    assert key.name == "ci"


def test_reuses_an_existing_organization(org_a):
    key = ApiKey.find_usable(createapikey("--org", "acme").strip())
    assert key.organization == org_a.organization
    assert Organization.objects.count() == 1


def test_default_expiry_is_90_days():
    key = ApiKey.find_usable(createapikey("--org", "initech").strip())
    assert abs(key.expires_at - timezone.now() - timedelta(days=90)) < timedelta(seconds=5)


def test_days_sets_the_expiry():
    key = ApiKey.find_usable(createapikey("--org", "initech", "--days", "365").strip())
    assert abs(key.expires_at - timezone.now() - timedelta(days=365)) < timedelta(seconds=5)


@pytest.mark.parametrize("days", ["0", "366", "-5"])
def test_days_outside_1_to_365_fails_clearly(days):
    with pytest.raises(CommandError, match="between 1 and 365 days"):
        createapikey("--org", "initech", "--days", days)
    assert not ApiKey.objects.exists()


def test_org_slug_without_letters_fails_clearly():
    with pytest.raises(CommandError, match="slug"):
        createapikey("--org", "!!!")
    assert not Organization.objects.exists()


def test_org_is_required():
    with pytest.raises(CommandError, match="--org"):
        createapikey()
