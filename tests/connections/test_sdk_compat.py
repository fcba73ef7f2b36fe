"""The official Airweave Python SDK, unchanged, against a live Weft server."""

from __future__ import annotations

from io import StringIO

import httpx
import pytest
from airweave import AirweaveSDK
from airweave.core.api_error import ApiError
from airweave.errors import NotFoundError, TooManyRequestsError, UnprocessableEntityError
from airweave.types import BehaviorConfig, SyncConfig
from django.core.management import call_command

# Also on SQLite: `make run` serves the SDK from SQLite.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.dbspecific]


@pytest.fixture
def http():
    """The SDK's HTTP client: redirects are not followed (none may happen), closed after use."""
    with httpx.Client(timeout=10, follow_redirects=False) as client:
        yield client


@pytest.fixture
def sdk_for(live_server, http):
    def make(plaintext_key: str) -> AirweaveSDK:
        return AirweaveSDK(
            api_key=plaintext_key, base_url=live_server.url + "/api", httpx_client=http
        )

    return make


@pytest.fixture
def sdk(sdk_for, org_a) -> AirweaveSDK:
    return sdk_for(org_a.plaintext_key)


def assert_complete(model) -> None:
    """Every field the SDK declares came in the response, and nothing it does not know."""
    assert set(type(model).model_fields) <= model.model_fields_set
    assert not model.model_extra


def test_collection_lifecycle(sdk, org_a):
    created = sdk.collections.create(
        name="Finance Data",
        readable_id="finance-data",
        sync_config=SyncConfig(behavior=BehaviorConfig(skip_hash_comparison=True)),
    )
    assert_complete(created)
    assert (created.readable_id, created.organization_id) == (
        "finance-data",
        str(org_a.organization.id),
    )
    assert created.sync_config.behavior.skip_hash_comparison is True
    assert created.status == "NEEDS SOURCE"
    assert "finance-data" in [c.readable_id for c in sdk.collections.list()]
    assert sdk.collections.get("finance-data").name == "Finance Data"
    updated = sdk.collections.update("finance-data", name="Finance Archive")
    assert updated.name == "Finance Archive" and updated.modified_at >= created.modified_at
    deleted = sdk.collections.delete("finance-data")
    assert_complete(deleted)
    assert deleted.readable_id == "finance-data"
    with pytest.raises(NotFoundError):
        sdk.collections.get("finance-data")


def test_create_without_readable_id_generates_one(sdk):
    created = sdk.collections.create(name="Team Wiki")
    assert created.readable_id.startswith("team-wiki-")


def test_list_with_skip_limit_and_search(sdk):
    for name in ("Alpha docs", "Beta docs", "Gamma docs"):
        sdk.collections.create(name=name)
    page = sdk.collections.list(skip=1, limit=2)
    assert [c.name for c in page] == ["Beta docs", "Alpha docs"]
    assert [c.name for c in sdk.collections.list(search="gamma")] == ["Gamma docs"]
    for collection in page:
        assert_complete(collection)


def test_missing_collection_raises_not_found(sdk):
    with pytest.raises(NotFoundError) as raised:
        sdk.collections.get("does-not-exist")
    assert raised.value.body.detail == "Collection not found"


def test_other_organizations_collection_is_not_found(sdk, org_b):
    with pytest.raises(NotFoundError):
        sdk.collections.get("globex-docs")
    with pytest.raises(NotFoundError):
        sdk.collections.delete("globex-docs")


def test_invalid_name_raises_unprocessable_entity(sdk):
    with pytest.raises(UnprocessableEntityError) as raised:
        sdk.collections.create(name="abc")
    assert raised.value.body["detail"][0]["loc"] == ["body", "name"]


def test_duplicate_readable_id_is_409(sdk):
    with pytest.raises(ApiError) as raised:
        sdk.collections.create(name="Acme again", readable_id="acme-docs")
    assert raised.value.status_code == 409
    assert raised.value.body == {"detail": "Collection with readable_id 'acme-docs' already exists"}


def test_sources_list_and_get(sdk):
    sources = sdk.sources.list()
    assert "stub" in [s.short_name for s in sources]
    stub = sdk.sources.get("stub")
    assert_complete(stub)
    assert stub.short_name == "stub" and stub.auth_methods == ["direct"]
    assert {f.name for f in stub.config_fields.fields} >= {"entity_count", "seed"}
    with pytest.raises(NotFoundError):
        sdk.sources.get("no-such-source")


def test_rate_limit_raises_too_many_requests(sdk, settings):
    settings.WEFT_RATE_LIMIT_PER_MINUTE = 2
    sdk.collections.list()
    sdk.collections.list()
    with pytest.raises(TooManyRequestsError) as raised:
        sdk.collections.list()
    assert raised.value.body.detail.startswith("Rate limit exceeded. Please retry after ")
    assert int(raised.value.headers["retry-after"]) >= 1


def test_revoked_key_is_rejected(sdk_for, org_a):
    org_a.api_key.revoke()
    with pytest.raises(ApiError) as raised:
        sdk_for(org_a.plaintext_key).collections.list()
    assert (raised.value.status_code, raised.value.body) == (
        403,
        {"detail": "Invalid or expired API key"},
    )


@pytest.mark.parametrize(
    "headers",
    [
        {"X-API-KEY": "{key}"},
        {"x-Api-kEY": "{key}"},
        {"Authorization": "Bearer {key}"},
        {"authorization": "bearer {key}"},
    ],
)
def test_raw_header_spellings_on_the_wire(live_server, http, org_a, headers):
    sent = {name: value.format(key=org_a.plaintext_key) for name, value in headers.items()}
    response = http.get(live_server.url + "/api/collections", headers=sent)
    assert response.status_code == 200


def test_key_from_createapikey_drives_the_sdk(sdk_for):
    out = StringIO()
    call_command("createapikey", "--org", "scripted", stdout=out)
    sdk = sdk_for(out.getvalue().strip())
    created = sdk.collections.create(name="Scripted collection")
    assert [c.readable_id for c in sdk.collections.list()] == [created.readable_id]
