"""PostgreSQL only (not marked dbspecific): its planner statistics after a big first sync."""

from __future__ import annotations

import pytest
from django.db import connection

from syncs import engine
from tests.syncs.conftest import run, stub_connection

pytestmark = pytest.mark.django_db


def test_big_first_sync_refreshes_postgresql_planner_statistics(org_a, monkeypatch):
    monkeypatch.setattr(engine, "ANALYZE_AFTER_INSERTS", 10)
    run(stub_connection(org_a, entity_count=12))
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'syncs_entity'")
        assert cursor.fetchone()[0] == 12
