"""The rate limiter's counter table on PostgreSQL (migration 0004)."""

from __future__ import annotations

import pytest
from django.db import connection

from connections.models import RateLimitWindow


@pytest.mark.django_db
def test_counter_table_is_unlogged_on_postgresql():
    # Not dbspecific: CI runs this on PostgreSQL, the only engine with unlogged tables.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relpersistence FROM pg_class WHERE relname = %s",
            [RateLimitWindow._meta.db_table],
        )
        assert cursor.fetchone() == ("u",)
