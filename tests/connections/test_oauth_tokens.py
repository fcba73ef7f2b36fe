"""OAuth tokens over time: refresh before expiry, rotation, refusals, and the row lock."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from connections.models import AuthMethod, Credential
from connections.oauth.tokens import token_credentials
from connections.sources.base import SourceAuthError, SourceError
from tests.fakes.oauth2 import BYOC_ID, BYOC_SECRET, CLIENT_ID, FakeOAuthProvider


def _credential(org, provider: FakeOAuthProvider, *, client_id=CLIENT_ID, **secrets) -> Credential:
    """A GitHub OAuth credential holding a token the fake provider issued."""
    issued = provider.issue(client_id)
    credential = Credential(
        organization=org, short_name="github", auth_method=AuthMethod.OAUTH_BROWSER
    )
    credential.set_secrets({**issued, **secrets})
    credential.expires_at = timezone.now() + timedelta(hours=1)
    credential.save()
    return credential


def _expire(credential: Credential) -> None:
    Credential.objects.filter(pk=credential.pk).update(expires_at=timezone.now())
    credential.refresh_from_db()


@pytest.mark.django_db
def test_a_fresh_token_is_used_as_is(world, org_a):
    credential = _credential(org_a.organization, world.provider)
    before = credential.secrets["access_token"]
    assert token_credentials(credential)["access_token"] == before
    assert world.provider.refresh_count == 0


@pytest.mark.django_db
def test_a_token_about_to_expire_is_refreshed_and_the_rotated_refresh_token_kept(world, org_a):
    credential = _credential(org_a.organization, world.provider)
    old_refresh = credential.secrets["refresh_token"]
    _expire(credential)
    fresh = token_credentials(credential)
    assert world.provider.token_is_valid(fresh["access_token"])
    stored = Credential.objects.get(pk=credential.pk)
    assert stored.secrets["refresh_token"] not in (old_refresh, None)
    assert stored.expires_at > timezone.now() + timedelta(minutes=30) and stored.refreshed_at


@pytest.mark.django_db
def test_the_source_never_sees_the_client_secret_but_gets_the_expiry(world, org_a):
    credential = _credential(org_a.organization, world.provider, client_id=BYOC_ID)
    credential.set_secrets(
        {**credential.secrets, "client_id": BYOC_ID, "client_secret": BYOC_SECRET}
    )
    credential.save()
    values = token_credentials(credential)
    assert "client_secret" not in values and "client_id" not in values
    assert values["expires_at"] == credential.expires_at.isoformat()


@pytest.mark.django_db
def test_byoc_refresh_uses_the_customers_app(world, org_a):
    credential = _credential(org_a.organization, world.provider, client_id=BYOC_ID)
    credential.set_secrets(
        {**credential.secrets, "client_id": BYOC_ID, "client_secret": BYOC_SECRET}
    )
    credential.save()
    _expire(credential)
    token_credentials(credential)
    refresh = world.provider.token_requests[-1]
    assert (refresh["grant_type"], refresh["client_id"]) == ("refresh_token", BYOC_ID)
    assert Credential.objects.get(pk=credential.pk).secrets["client_secret"] == BYOC_SECRET


@pytest.mark.django_db
def test_force_refresh_after_a_401_refreshes_a_token_that_has_not_expired(world, org_a):
    credential = _credential(org_a.organization, world.provider)
    before = credential.secrets["access_token"]
    assert token_credentials(credential, force_refresh=True)["access_token"] != before
    assert world.provider.refresh_count == 1


@pytest.mark.django_db
def test_a_refused_refresh_is_an_auth_error_with_a_readable_message(world, org_a):
    credential = _credential(org_a.organization, world.provider)
    world.provider.revoke_everything()
    _expire(credential)
    with pytest.raises(
        SourceAuthError, match=r"refused to refresh.*invalid_grant.*Re-authenticate"
    ):
        token_credentials(credential)
    assert Credential.objects.get(pk=credential.pk).refreshed_at is None


@pytest.mark.django_db
def test_an_unreachable_provider_is_not_an_auth_error(world, org_a, settings):
    credential = _credential(org_a.organization, world.provider)
    apps = {**settings.WEFT_OAUTH_APPS}
    apps["github"] = {**apps["github"], "token_url": "http://127.0.0.1:9/token"}
    settings.WEFT_OAUTH_APPS = apps
    _expire(credential)
    with pytest.raises(SourceError) as raised:
        token_credentials(credential)
    assert not isinstance(raised.value, SourceAuthError)


@pytest.mark.django_db
def test_without_a_refresh_token_the_token_is_returned_unchanged(world, org_a):
    credential = _credential(org_a.organization, world.provider)
    credential.set_secrets({"access_token": "at_only", "token_type": "bearer"})
    credential.save()
    _expire(credential)
    assert token_credentials(credential, force_refresh=True)["access_token"] == "at_only"
    assert world.provider.refresh_count == 0


@pytest.mark.dbspecific
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_refreshes_both_end_with_a_working_token(world, org_a):
    """Two workers, one credential, a provider that rotates refresh tokens and kills the old
    one: the row lock (PostgreSQL) or the write lock (SQLite's immediate transactions) lets
    one refresh while the other waits, then uses the token the first one stored."""
    credential = _credential(org_a.organization, world.provider)
    _expire(credential)
    world.provider.refresh_delay = 0.5  # both threads are inside token_credentials at once
    copies = [Credential.objects.get(pk=credential.pk) for _ in range(2)]
    results, errors = [None, None], []

    def work(index: int) -> None:
        try:
            results[index] = token_credentials(copies[index])["access_token"]
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == [] and results[0] == results[1]
    assert world.provider.token_is_valid(results[0]) and world.provider.refresh_count == 1
