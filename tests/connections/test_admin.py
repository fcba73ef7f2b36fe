"""The operators' admin: organizations with members, API keys shown once, collections, and
read-only source connections and credentials."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from connections import services
from connections.models import ApiKey, Credential, Organization, SourceConnection

pytestmark = pytest.mark.django_db

LIST_PAGES = [
    "/admin/connections/organization/",
    "/admin/connections/apikey/",
    "/admin/connections/collection/",
]


def populate(count: int) -> None:
    """``count`` organizations, each with a member, an API key and a collection."""
    for index in range(count):
        slug = f"org-{index}"
        services.member_add(organization_slug=slug, email=f"m{index}@example.com")
        services.apikey_create(organization_slug=slug)
        organization = Organization.objects.get(slug=slug)
        services.collection_create(organization=organization, name=f"Collection {index}")


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", LIST_PAGES)
def test_list_page_queries_do_not_grow_with_rows(admin_client, url, django_assert_max_num_queries):
    populate(1)
    with_one = count_queries(admin_client, url)
    populate(50)
    assert count_queries(admin_client, url) == with_one
    with django_assert_max_num_queries(with_one):
        admin_client.get(url)


def test_organization_page_shows_members_inline(admin_client, org_a):
    response = admin_client.get(f"/admin/connections/organization/{org_a.organization.pk}/change/")
    assert response.status_code == 200
    assert b"memberships-TOTAL_FORMS" in response.content
    assert b"owner@acme.test" in response.content


def test_organization_list_shows_member_and_collection_counts(admin_client, org_a):
    response = admin_client.get("/admin/connections/organization/")
    row = re.search(rb"<tr.*?acme.*?</tr>", response.content, re.S).group(0)
    assert b'class="field-member_count">1<' in row
    assert b'class="field-collection_count">1<' in row


def test_api_key_add_form_asks_only_organization_name_and_days(admin_client, org_a):
    response = admin_client.get("/admin/connections/apikey/add/")
    fields = set(re.findall(rb'name="([a-z_]+)"', response.content))
    assert {b"organization", b"name", b"days"} <= fields
    assert not fields & {b"key_hash", b"prefix", b"expires_at"}


def create_key_in_admin(admin_client, organization: Organization, days: int = 30):
    return admin_client.post(
        "/admin/connections/apikey/add/",
        {"organization": organization.pk, "name": "from admin", "days": days},
        follow=True,
    )


def test_creating_a_key_shows_the_plaintext_once(admin_client, org_a):
    response = create_key_in_admin(admin_client, org_a.organization)
    plaintext = re.search(r"weft_[A-Za-z0-9_-]{20,}", response.content.decode()).group(0)
    key = ApiKey.find_usable(plaintext)
    assert key is not None and key.name == "from admin"
    again = admin_client.get(f"/admin/connections/apikey/{key.pk}/change/")
    assert plaintext not in again.content.decode()


def test_created_key_works_against_the_api(admin_client, org_a, anon):
    response = create_key_in_admin(admin_client, org_a.organization)
    plaintext = re.search(r"weft_[A-Za-z0-9_-]{20,}", response.content.decode()).group(0)
    assert anon.get("/api/collections", headers={"x-api-key": plaintext}).status_code == 200


@pytest.mark.parametrize("days", [0, 366])
def test_key_expiry_outside_1_to_365_days_is_refused(admin_client, org_a, days):
    response = create_key_in_admin(admin_client, org_a.organization, days=days)
    assert response.status_code == 200
    assert b"errorlist" in response.content
    assert ApiKey.objects.count() == 1


@pytest.mark.parametrize("page", ["", "{pk}/change/", "{pk}/history/", "{pk}/delete/"])
def test_key_hash_is_never_rendered(admin_client, org_a, page):
    key = org_a.api_key
    response = admin_client.get(f"/admin/connections/apikey/{page.format(pk=key.pk)}")
    content = response.content.decode()
    assert response.status_code == 200
    assert key.key_hash not in content and org_a.plaintext_key not in content


def test_revoke_action_revokes_selected_keys(admin_client, org_a, org_b):
    response = admin_client.post(
        "/admin/connections/apikey/",
        {"action": "revoke_keys", "_selected_action": [org_a.api_key.pk]},
        follow=True,
    )
    assert b"Revoked 1 API key(s)." in response.content
    org_a.api_key.refresh_from_db()
    assert org_a.api_key.is_revoked and not ApiKey.objects.get(pk=org_b.api_key.pk).is_revoked


def test_collections_search_by_name_and_readable_id(admin_client, org_a, org_b):
    by_name = admin_client.get("/admin/connections/collection/?q=Globex")
    by_readable_id = admin_client.get("/admin/connections/collection/?q=acme-docs")
    assert b"globex-docs" in by_name.content and b"acme-docs" not in by_name.content
    assert b"acme-docs" in by_readable_id.content and b"globex-docs" not in by_readable_id.content


def test_collections_filter_by_organization(admin_client, org_a, org_b):
    url = f"/admin/connections/collection/?organization__id__exact={org_b.organization.pk}"
    response = admin_client.get(url)
    assert b"globex-docs" in response.content and b"acme-docs" not in response.content


def test_collection_readable_id_is_read_only(admin_client, org_a):
    collection = org_a.collection
    response = admin_client.get(f"/admin/connections/collection/{collection.pk}/change/")
    assert b'name="readable_id"' not in response.content
    assert collection.readable_id.encode() in response.content


def test_renaming_a_key_keeps_its_hash_and_expiry(admin_client, org_a):
    key = org_a.api_key
    url = f"/admin/connections/apikey/{key.pk}/change/"
    response = admin_client.post(url, {"name": "renamed"})
    assert response.status_code == 302
    renamed = ApiKey.objects.get(pk=key.pk)
    assert (renamed.name, renamed.key_hash, renamed.expires_at) == (
        "renamed",
        key.key_hash,
        key.expires_at,
    )


# --- Source connections and credentials ----------------------------------------------------

CONNECTION_PAGES = ["/admin/connections/sourceconnection/", "/admin/connections/credential/"]


def add_connections(tenant, count: int) -> None:
    """``count`` stub connections (every other with a failed job) and credentials."""
    for index in range(count):
        source_connection = services.source_connection_create(
            organization=tenant.organization,
            data={"short_name": "stub", "readable_collection_id": tenant.collection.readable_id},
        )
        if index % 2:
            job = source_connection.sync.last_job
            job.start()
            job.fail("boom")
        credential = Credential(
            organization=tenant.organization, short_name="github", auth_method="direct"
        )
        credential.set_secrets({"personal_access_token": "t"})
        credential.save()


@pytest.mark.parametrize("url", CONNECTION_PAGES)
def test_connection_list_queries_do_not_grow_with_rows(
    admin_client, org_a, url, django_assert_max_num_queries
):
    add_connections(org_a, 1)
    with_one = count_queries(admin_client, url)
    add_connections(org_a, 49)
    with django_assert_max_num_queries(with_one):
        admin_client.get(url)


def test_source_connection_list_shows_status_and_links_the_schedule(admin_client, org_a):
    add_connections(org_a, 2)
    content = admin_client.get("/admin/connections/sourceconnection/").content.decode()
    assert content.count('class="field-status">Error<') == 1
    assert content.count('class="field-status">Active<') == 1
    assert re.search(
        r'href="/admin/syncs/sync/[0-9a-f-]{36}/change/">\d+ \d+ \* \* \*</a>', content
    )


@pytest.mark.parametrize("model", ["sourceconnection", "credential"])
def test_source_connections_and_credentials_are_read_only(admin_client, org_a, model):
    add_connections(org_a, 1)
    pk = {"sourceconnection": SourceConnection, "credential": Credential}[model].objects.first().pk
    assert admin_client.get(f"/admin/connections/{model}/add/").status_code == 403
    change = admin_client.get(f"/admin/connections/{model}/{pk}/change/")
    assert change.status_code == 200 and b'value="Save"' not in change.content
    assert admin_client.post(f"/admin/connections/{model}/{pk}/delete/").status_code == 403
