"""A small fixed cast: two organizations, each with a member, an API key and a collection."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from connections import services
from connections.models import ApiKey, Collection, Organization


@dataclass
class Tenant:
    organization: Organization
    api_key: ApiKey
    plaintext_key: str
    collection: Collection
    client: APIClient


def _tenant(slug: str) -> Tenant:
    api_key, plaintext = services.apikey_create(organization_slug=slug, name=f"{slug} key")
    services.member_add(organization_slug=slug, email=f"owner@{slug}.test", password="pw-" + slug)
    collection = services.collection_create(
        organization=api_key.organization, name=f"{slug.title()} Docs", readable_id=f"{slug}-docs"
    )
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=plaintext)
    return Tenant(api_key.organization, api_key, plaintext, collection, client)


@pytest.fixture(autouse=True)
def _settings_for_tests(settings):
    settings.WEFT_INTERNAL_SOURCES = True
    settings.WEFT_RATE_LIMIT_PER_MINUTE = 0
    # The production hasher costs ~0.3 s per password; tests only need it to round-trip.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def org_a(db) -> Tenant:
    return _tenant("acme")


@pytest.fixture
def org_b(db) -> Tenant:
    return _tenant("globex")


@pytest.fixture
def api(org_a) -> APIClient:
    """An API client authenticated as organization A."""
    return org_a.client


@pytest.fixture
def anon() -> APIClient:
    return APIClient()


@pytest.fixture(scope="session")
def live_server(django_db_setup, live_server):
    """pytest-django's live server, started only once the test database exists.

    Started earlier, it sees SQLite's ``:memory:`` name and shares the test thread's connection
    with the server thread, which then closes it under the test (the database is a file by then):
    "Cannot operate on a closed database" at random.
    """
    return live_server


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """On SQLite, test in a file like `make run` does: threads and processes can share it
    (an in-memory database refuses a second writer at once instead of waiting its turn)."""
    from django.db import connections

    db = connections["default"].settings_dict
    if db["ENGINE"].endswith("sqlite3") and db["NAME"] == ":memory:":
        db.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("db") / "test.sqlite3")
