"""GET /api/health: ok when the database answers, 503 when it does not; never needs a key."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import OperationalError

from connections.api import views

pytestmark = pytest.mark.django_db


@pytest.fixture
def broken_database():
    with mock.patch.object(views, "db_connection") as fake:
        fake.cursor.side_effect = OperationalError("could not connect to server")
        yield fake


def test_health_is_ok_when_database_answers(anon):
    response = anon.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_health_is_503_json_when_database_fails(anon, broken_database):
    response = anon.get("/api/health")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json()["status"] != "ok"
    broken_database.cursor.assert_called_once()


def test_health_ignores_a_bad_key(anon):
    response = anon.get("/api/health", headers={"x-api-key": "weft_wrong"})
    assert response.status_code == 200


def test_health_is_not_rate_limited(api, settings):
    settings.WEFT_RATE_LIMIT_PER_MINUTE = 1
    statuses = {api.get("/api/health").status_code for _ in range(3)}
    assert statuses == {200}
    assert "RateLimit-Limit" not in api.get("/api/health")
