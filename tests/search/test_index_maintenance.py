"""PostgreSQL only (not marked dbspecific): the full-text index after a sync, and no JIT."""

from __future__ import annotations

import pytest
from django.db import connection

from syncs.search import index
from syncs.search.index import FULL_TEXT_INDEX
from tests.search.conftest import run_sync, stub_connection

pytestmark = pytest.mark.django_db


def pending_pages() -> int:
    """Pages still in the GIN index's pending list (merging them answers how many there were)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [FULL_TEXT_INDEX])
        return cursor.fetchone()[0]


def test_sync_leaves_no_pending_full_text_entries(org_a):
    job = run_sync(stub_connection(org_a, entity_count=200))
    assert job.status == "completed"
    assert pending_pages() == 0


def test_rows_written_outside_a_run_stay_pending_until_merged(org_a):
    run_sync(stub_connection(org_a, entity_count=200))
    with connection.cursor() as cursor:
        cursor.execute("UPDATE syncs_searchchunk SET name = name || ' again'")
    assert pending_pages() > 0


def test_postgresql_connections_run_without_jit_compilation():
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_a_merge_that_fails_is_logged_and_the_run_still_completes(org_a, monkeypatch, caplog):
    monkeypatch.setattr(index, "FULL_TEXT_INDEX", "no_such_index")
    job = run_sync(stub_connection(org_a, entity_count=5))
    assert job.status == "completed"
    assert "Could not merge the full-text index's pending entries" in caplog.text
