"""Schedules: cron validation (422), the hourly floor for full syncs (400), the default daily
schedule, and next runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils.dateparse import parse_datetime

from connections.sources.base import BaseSource
from connections.sources.registry import _SOURCES
from syncs import schedules
from syncs.models import Sync

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 4, 14, 25, 30, tzinfo=UTC)


class IncrementalSource(BaseSource):
    name = "Incremental"
    short_name = "test_schedules_incremental"
    supports_continuous = True

    def generate_entities(self):
        return iter(())


@pytest.fixture
def incremental(monkeypatch):
    monkeypatch.setitem(_SOURCES, IncrementalSource.short_name, IncrementalSource)


def create(api, short_name: str = "stub", **body):
    payload = {"short_name": short_name, "readable_collection_id": "acme-docs", **body}
    return api.post(
        "/api/source-connections", {"sync_immediately": False, **payload}, format="json"
    )


@pytest.mark.parametrize("cron", ["not a cron", "61 * * * *", "0 0 * *", "0 0 * * * *", ""])
def test_invalid_cron_is_422_naming_schedule_cron(api, cron):
    response = create(api, schedule={"cron": cron})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "schedule", "cron"]


@pytest.mark.parametrize("cron", ["*/15 * * * *", "0,30 * * * *", "* 3 * * *"])
def test_sub_hourly_cron_for_a_full_sync_source_is_400(api, cron):
    response = create(api, schedule={"cron": cron})
    assert response.status_code == 400
    assert "does not support continuous syncs" in response.json()["detail"]


def test_sub_hourly_cron_is_allowed_for_an_incremental_source(api, incremental):
    response = create(api, IncrementalSource.short_name, schedule={"cron": "*/5 * * * *"})
    assert response.status_code == 200
    assert response.json()["schedule"]["cron"] == "*/5 * * * *"


def test_hourly_cron_is_allowed_for_any_source(api):
    assert create(api, schedule={"cron": "0 * * * *"}).status_code == 200


def test_default_is_daily_at_the_creation_time(api):
    body = create(api).json()
    created = parse_datetime(body["auth"]["authenticated_at"])
    assert body["schedule"]["cron"] == f"{created.minute} {created.hour} * * *"
    next_run = parse_datetime(body["schedule"]["next_run"])
    assert created < next_run <= created + timedelta(days=1)


def test_null_cron_means_manual_only(api):
    body = create(api, schedule={"cron": None}).json()
    assert body["schedule"]["cron"] is None and body["schedule"]["next_run"] is None


def test_next_run_follows_the_cron(api):
    body = create(api, schedule={"cron": "0 3 * * *"}).json()
    next_run = parse_datetime(body["schedule"]["next_run"])
    assert (next_run.hour, next_run.minute, next_run.second) == (3, 0, 0)
    assert next_run - datetime.now(UTC) <= timedelta(days=1)


def test_patch_changes_the_schedule_and_its_next_run(api):
    source_connection_id = create(api).json()["id"]
    url = f"/api/source-connections/{source_connection_id}"
    body = api.patch(url, {"schedule": {"cron": "30 6 * * 1"}}, format="json").json()
    assert body["schedule"]["cron"] == "30 6 * * 1"
    assert parse_datetime(body["schedule"]["next_run"]).weekday() == 0  # Monday
    assert Sync.objects.get(source_connection_id=source_connection_id).cron == "30 6 * * 1"


def test_patch_with_invalid_cron_is_422_and_keeps_the_schedule(api):
    body = create(api, schedule={"cron": "0 3 * * *"}).json()
    url = f"/api/source-connections/{body['id']}"
    response = api.patch(url, {"schedule": {"cron": "every day"}}, format="json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "schedule", "cron"]
    assert Sync.objects.get(source_connection_id=body["id"]).cron == "0 3 * * *"


def test_whitespace_in_a_cron_is_normalised():
    assert schedules.validate_cron("  0   3 * *  * ") == "0 3 * * *"


def test_next_run_after_is_strictly_later():
    assert schedules.next_run_after("0 3 * * *", NOW) == datetime(2026, 3, 5, 3, 0, tzinfo=UTC)
    at_three = datetime(2026, 3, 5, 3, 0, tzinfo=UTC)
    assert schedules.next_run_after("0 3 * * *", at_three) == datetime(2026, 3, 6, 3, 0, tzinfo=UTC)


def test_default_cron_is_daily_at_now():
    assert schedules.default_cron(NOW) == "25 14 * * *"


@pytest.mark.parametrize(
    ("cron", "sub_hourly"),
    [("0 * * * *", False), ("0 */2 * * *", False), ("*/59 * * * *", True), ("0,59 * * * *", True)],
)
def test_sub_hourly_detection(cron, sub_hourly):
    assert schedules.is_sub_hourly(cron, NOW) is sub_hourly
