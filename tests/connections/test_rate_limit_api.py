"""Per-organization rate limiting as API clients see it: headers, 429, Retry-After."""

from __future__ import annotations

import re

import pytest

from connections.models import ApiKey, Organization

pytestmark = [pytest.mark.django_db, pytest.mark.dbspecific]

REDIS_TEST_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture(params=["database", "redis"])
def limit_of_3(request, settings, org_a):
    """A limit of 3 per minute, counted in the database or in Redis."""
    settings.WEFT_RATE_LIMIT_PER_MINUTE = 3
    settings.REDIS_URL = REDIS_TEST_URL if request.param == "redis" else ""
    yield request.param
    if request.param == "redis":
        forget_redis_counts(Organization.objects.values_list("id", flat=True))


def forget_redis_counts(org_ids) -> None:
    """Delete only these organizations' keys: another test run may share the Redis database."""
    import redis

    client = redis.Redis.from_url(REDIS_TEST_URL)
    for org_id in org_ids:
        keys = list(client.scan_iter(f"weft:ratelimit:{org_id}:*"))
        if keys:
            client.delete(*keys)


def exhaust(client, count: int = 3) -> None:
    for _ in range(count):
        assert client.get("/api/collections").status_code == 200


def test_api_key_responses_carry_rate_limit_headers(api, limit_of_3):
    response = api.get("/api/collections")
    assert response["RateLimit-Limit"] == "3"
    assert response["RateLimit-Remaining"] == "2"
    assert 1 <= int(response["RateLimit-Reset"]) <= 60


@pytest.mark.parametrize(
    "method,path,status",
    [("get", "/api/collections/nope-nope", 404), ("post", "/api/collections", 422)],
)
def test_error_responses_carry_rate_limit_headers(api, limit_of_3, method, path, status):
    response = getattr(api, method)(path, {}, format="json")
    assert response.status_code == status
    assert response["RateLimit-Limit"] == "3"


def test_remaining_counts_down_to_zero(api, limit_of_3):
    remaining = [api.get("/api/sources")["RateLimit-Remaining"] for _ in range(3)]
    assert remaining == ["2", "1", "0"]


def test_over_the_limit_is_429_with_retry_after(api, limit_of_3):
    exhaust(api)
    response = api.get("/api/collections")
    assert response.status_code == 429
    match = re.fullmatch(
        r"Rate limit exceeded\. Please retry after (\d+) seconds\.", response.json()["detail"]
    )
    assert match and response["Retry-After"] == match.group(1)
    assert 1 <= int(response["Retry-After"]) <= 120
    assert response["RateLimit-Remaining"] == "0"


def test_limit_is_per_organization(api, org_b, limit_of_3):
    exhaust(api)
    assert api.get("/api/collections").status_code == 429
    response = org_b.client.get("/api/collections")
    assert response.status_code == 200
    assert response["RateLimit-Remaining"] == "2"


def test_all_keys_of_an_organization_share_the_budget(anon, org_a, limit_of_3):
    _, second_key = ApiKey.issue(organization=org_a.organization)
    exhaust(org_a.client)
    response = anon.get("/api/collections", headers={"x-api-key": second_key})
    assert response.status_code == 429


def test_zero_disables_the_limit(api, settings):
    settings.WEFT_RATE_LIMIT_PER_MINUTE = 0
    responses = [api.get("/api/collections") for _ in range(10)]
    assert {r.status_code for r in responses} == {200}
    assert "RateLimit-Limit" not in responses[-1]


def test_unauthenticated_requests_are_not_counted(anon, api, limit_of_3):
    for _ in range(5):
        assert anon.get("/api/collections").status_code == 401
    assert "RateLimit-Limit" not in anon.get("/api/collections")
    assert api.get("/api/collections")["RateLimit-Remaining"] == "2"
