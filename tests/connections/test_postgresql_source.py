"""The ``postgresql`` source against the real server on 127.0.0.1:5432, in a throwaway database."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from connections.sources import postgresql as postgresql_module
from connections.sources.base import SourceAuthError, SourceEntity, SourceError
from connections.sources.postgresql import PostgreSQLSource
from connections.sources.registry import get_source

SERVER = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
OUR_SESSIONS = (
    "FROM pg_stat_activity WHERE application_name = 'weft' AND datname = current_database()"
)

SCHEMA_SQL = """
CREATE TABLE users (
    id serial PRIMARY KEY, name text, email text, score numeric(10, 2), ratio float8,
    profile jsonb, avatar bytea, born date, external_id uuid,
    created_at timestamptz, updated_at timestamptz
);
CREATE TABLE order_items (order_id int, line int, sku text, PRIMARY KEY (order_id, line));
CREATE TABLE audit_log (message text);
CREATE VIEW adult_users AS SELECT id, name FROM users;
CREATE SCHEMA "Odd Schema";
INSERT INTO users (name, email, score, ratio, profile, avatar, born, external_id,
                   created_at, updated_at) VALUES
  ('Ada', 'ada@example.test', 12.50, 'NaN', '{"team": "core", "tags": [1, 2]}', '\\x0102',
   '1815-12-10', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
   '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z'),
  ('Grace', NULL, NULL, 0.5, NULL, NULL, NULL, NULL,
   '2025-01-02T00:00:00Z', '2025-01-02T00:00:00Z');
INSERT INTO order_items VALUES (1, 1, 'SKU-1'), (1, 2, 'SKU-2');
INSERT INTO audit_log VALUES ('started'), ('stopped');
"""
ODD_TABLE_SQL = (
    'CREATE TABLE "Odd Schema"."Weird ""Name""" (id int PRIMARY KEY, "Title Case" text);'
    'INSERT INTO "Odd Schema"."Weird ""Name""" VALUES (1, \'quoted\');'
)


def _admin(dbname: str = "postgres") -> psycopg.Connection:
    return psycopg.connect(dbname=dbname, autocommit=True, **SERVER)


@pytest.fixture
def database():
    name = f"weft_src_test_{secrets.token_hex(4)}"
    with _admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        with _admin(name) as conn:
            conn.execute(SCHEMA_SQL)
            conn.execute(ODD_TABLE_SQL)
        yield name
    finally:
        with _admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _credentials(database: str, **overrides) -> dict:
    return {**SERVER, "database": database, "password": "", "ssl_mode": "prefer", **overrides}


def _source(database: str, cursor=None, **config) -> PostgreSQLSource:
    return PostgreSQLSource(credentials=_credentials(database), config=config, cursor=cursor)


def _entities(source: PostgreSQLSource) -> dict[tuple[str, str], SourceEntity]:
    return {(e.entity_type, e.entity_id): e for e in source.generate_entities()}


def _execute(database: str, statement: str) -> None:
    with _admin(database) as conn:
        conn.execute(statement)


def test_is_registered_with_a_secret_password():
    assert get_source("postgresql") is PostgreSQLSource
    assert PostgreSQLSource.secret_field_names() == {"password"}


def test_validate_accepts_a_reachable_database(database):
    _source(database, tables=["users", "order_items"]).validate()


def test_validate_missing_schema_and_table_are_source_errors(database):
    with pytest.raises(SourceError, match="Schema 'nope' not found"):
        _source(database, schema="nope").validate()
    with pytest.raises(SourceError, match="not readable in schema 'public': ghosts"):
        _source(database, tables=["users", "ghosts"]).validate()


def test_validate_missing_cursor_column_is_source_error(database):
    with pytest.raises(SourceError, match="Cursor column 'changed' is in none"):
        _source(database, tables=["users"], cursor_column="changed").validate()


def test_refused_login_is_auth_error_without_the_password(database):
    credentials = _credentials(database, user="no_such_role", password="hunter2-secret")
    with pytest.raises(SourceAuthError) as caught:
        PostgreSQLSource(credentials=credentials).validate()
    assert 'role "no_such_role" does not exist' in str(caught.value)
    assert "hunter2-secret" not in str(caught.value)


def test_unreachable_server_is_source_error_not_auth_error():
    credentials = {**_credentials("x"), "port": 1, "password": "hunter2-secret"}
    with pytest.raises(SourceError) as caught:
        PostgreSQLSource(credentials=credentials).validate()
    assert not isinstance(caught.value, SourceAuthError)
    assert "Could not connect to PostgreSQL at 127.0.0.1:1" in str(caught.value)
    assert "hunter2-secret" not in str(caught.value)


def test_missing_database_is_source_error_not_auth_error():
    with pytest.raises(SourceError) as caught:
        PostgreSQLSource(credentials=_credentials("weft_src_missing_db")).validate()
    assert not isinstance(caught.value, SourceAuthError)
    assert 'database "weft_src_missing_db" does not exist' in str(caught.value)


def test_full_run_reads_every_table_and_view_as_its_own_entity_type(database):
    entities = _entities(_source(database))
    assert {entity_type for entity_type, _ in entities} == {
        "public.users",
        "public.order_items",
        "public.audit_log",
        "public.adult_users",
    }
    assert len(entities) == 8


def test_row_becomes_entity_with_name_text_and_json_safe_fields(database):
    ada = _entities(_source(database, tables=["users"]))[("public.users", "1")]
    assert ada.name == "Ada"
    assert ada.fields["score"] == "12.50" and ada.fields["ratio"] == "nan"
    assert ada.fields["profile"] == {"team": "core", "tags": [1, 2]}
    assert ada.fields["avatar"] == "<2 bytes>" and ada.fields["born"] == "1815-12-10"
    assert ada.fields["external_id"] == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
    assert "name: Ada\nemail: ada@example.test\nscore: 12.50" in ada.text
    assert 'profile: {"tags": [1, 2], "team": "core"}' in ada.text
    assert ada.updated_at == datetime(2025, 1, 1, tzinfo=UTC)
    assert [b.name for b in ada.breadcrumbs] == ["public", "users"]


def test_composite_key_and_keyless_tables_get_stable_ids(database):
    entities = _entities(_source(database, tables=["order_items", "audit_log"]))
    assert ("public.order_items", "[1,2]") in entities
    assert entities[("public.order_items", "[1,2]")].name == "order_items [1,2]"
    keyless = sorted(entity_id for entity_type, entity_id in entities if "audit" in entity_type)
    assert len(keyless) == 2 and all(entity_id.startswith("row-") for entity_id in keyless)
    again = _entities(_source(database, tables=["audit_log"]))
    assert sorted(entity_id for _, entity_id in again) == keyless


def test_identifiers_are_quoted(database):
    entities = _entities(_source(database, schema="Odd Schema"))
    entity = entities[('Odd Schema.Weird "Name"', "1")]
    assert entity.fields == {"id": 1, "Title Case": "quoted"}


def test_rows_stream_through_a_server_side_cursor(database, monkeypatch):
    monkeypatch.setattr(postgresql_module, "ITERSIZE", 50)
    _execute(database, "INSERT INTO audit_log SELECT 'm' || n FROM generate_series(1, 500) n")
    rows = _source(database, tables=["audit_log"]).generate_entities()
    next(rows)
    with _admin(database) as conn:
        (query,) = conn.execute(f"SELECT query {OUR_SESSIONS}").fetchone()
    rows.close()
    assert query.startswith('FETCH FORWARD 50 FROM "weft_rows_0"')


def test_incremental_run_reads_only_rows_at_or_after_the_saved_mark(database):
    first = _source(database, tables=["users", "order_items"], cursor_column="updated_at")
    assert not first.is_incremental
    assert len(_entities(first)) == 4
    assert first.cursor["tables"] == {"public.users": "2025-01-02T00:00:00+00:00"}
    _execute(database, "UPDATE users SET name = 'Ada L.', updated_at = '2025-02-01' WHERE id = 1")
    _execute(database, "INSERT INTO users (name, updated_at) VALUES ('Linus', '2025-02-02')")

    second = _source(
        database, first.cursor, tables=["users", "order_items"], cursor_column="updated_at"
    )
    assert second.is_incremental
    seen = _entities(second)
    # Grace (id 2) carries the saved mark itself and is read again; order_items has no
    # updated_at column, so it is read whole.
    assert set(seen) == {
        ("public.users", "1"),
        ("public.users", "2"),
        ("public.users", "3"),
        ("public.order_items", "[1,1]"),
        ("public.order_items", "[1,2]"),
    }
    assert seen[("public.users", "1")].name == "Ada L."
    assert second.cursor["tables"]["public.users"] == "2025-02-02T00:00:00+00:00"
    assert second.cursor["full_sync_at"] == first.cursor["full_sync_at"]


def test_stale_full_pass_or_changed_setup_forces_a_full_run(database):
    first = _source(database, tables=["users"], cursor_column="updated_at")
    list(first.generate_entities())
    stale = dict(first.cursor, full_sync_at=(datetime.now(UTC) - timedelta(days=2)).isoformat())
    assert not _source(database, stale, tables=["users"], cursor_column="updated_at").is_incremental
    assert not _source(
        database, first.cursor, tables=["*"], cursor_column="updated_at"
    ).is_incremental
    assert not _source(database, first.cursor, tables=["users"]).is_incremental


def test_connection_closes_when_the_run_stops_early(database):
    rows = _source(database, tables=["users"]).generate_entities()
    next(rows)
    rows.close()
    with _admin(database) as conn:
        (count,) = conn.execute(f"SELECT count(*) {OUR_SESSIONS}").fetchone()
    assert count == 0
