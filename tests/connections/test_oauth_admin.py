"""The admin's OAuth sessions: what operators see of a flow, never its secrets."""

from __future__ import annotations

import pytest

from connections.models import OAuthSession
from tests.connections.oauth_helpers import BYOC_ID, BYOC_SECRET, authorize, create

pytestmark = pytest.mark.django_db


def test_sessions_list_shows_status_and_no_secrets(admin_client, api, world, org_a):
    authentication = {"client_id": BYOC_ID, "client_secret": BYOC_SECRET}
    created = create(api, world, org_a, authentication=authentication)
    authorize(created["auth"]["auth_url"], decision="deny")
    page = admin_client.get("/admin/connections/oauthsession/").content.decode()
    assert "access_denied" in page and "Failed" in page
    session = OAuthSession.objects.get()
    detail = admin_client.get(f"/admin/connections/oauthsession/{session.pk}/change/")
    text = detail.content.decode()
    assert detail.status_code == 200 and "github" in text
    for secret in (BYOC_SECRET, created["auth"]["claim_token"], session.encrypted_overrides):
        assert secret not in text
