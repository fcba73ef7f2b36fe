"""Search results write datetimes exactly as DRF's DateTimeField does, only faster."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.utils import timezone as django_timezone
from rest_framework import serializers

from syncs.api.serializers import iso_datetime

VALUES = [
    datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
    datetime(2025, 1, 2, 3, 4, 5, 123456, tzinfo=UTC),
    datetime(2025, 6, 1, 12, 0, tzinfo=timezone(timedelta(hours=2))),
]


@pytest.mark.parametrize("value", VALUES)
def test_datetimes_match_drf(value):
    assert iso_datetime(value) == serializers.DateTimeField().to_representation(value)


@pytest.mark.parametrize("value", VALUES)
def test_datetimes_follow_the_current_time_zone_as_drf_does(value):
    with django_timezone.override("Europe/Paris"):
        assert iso_datetime(value) == serializers.DateTimeField().to_representation(value)


def test_no_datetime_is_null():
    assert iso_datetime(None) is None
