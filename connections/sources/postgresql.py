"""``postgresql``: each row of the chosen tables becomes an entity, each table an entity type.

Entity types are dynamic: ``"<schema>.<table>"`` for every table read, so ``entity_types`` is
empty. ``tables`` is a list of names, or ``*`` for every table, partitioned table, view and
materialised view of the schema the user may ``SELECT`` from (partitions are read through their
parent). Rows are streamed with a server-side (named) cursor in a read-only transaction, so a
table of any size is read ``ITERSIZE`` rows at a time. Identifiers are always quoted with
``psycopg.sql``.

An entity's id is its primary key (``"42"``, or a JSON list for a composite key); a table
without one gets a hash of the whole row. Its text is ``column: value`` lines, its fields the
row made JSON-safe (decimals as strings, dates as ISO strings, binary as a size note).

Incremental runs need ``cursor_column`` (an ever-growing column such as ``updated_at`` or an
id). The cursor keeps the highest value seen per table; an incremental run reads the rows with
``cursor_column >= saved value`` (``>=``, not ``>``, so rows sharing the saved value but
committed after the last run are not lost; the few rows re-read are kept unchanged by the
engine). Tables without the column are read whole. A cursor cannot see deleted rows, so the
source runs a full pass when the last one is older than ``FULL_SYNC_INTERVAL``; the engine
then removes rows that are gone. Changing ``schema``, ``tables`` or ``cursor_column`` also
starts over with a full run.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from connections.sources.base import (
    BaseSource,
    Breadcrumb,
    SourceAuthError,
    SourceEntity,
    SourceError,
    SourceField,
)
from connections.sources.registry import register

ITERSIZE = 1000
CONNECT_TIMEOUT_SECONDS = 10
FULL_SYNC_INTERVAL = timedelta(hours=24)
CURSOR_VERSION = 1
NAME_COLUMNS = ("name", "title", "subject", "label", "display_name", "full_name", "email")
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")

# libpq reports refused logins only as text; these are the server's and libpq's wordings.
_AUTH_FAILURE = re.compile(
    r"authentication failed|role \".*\" does not exist|no pg_hba\.conf entry|"
    r"not permitted to log in|no password supplied|permission denied for database",
    re.IGNORECASE,
)

_TABLES_QUERY = """
    SELECT c.oid, c.relname
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition
      AND has_table_privilege(c.oid, 'SELECT')
    ORDER BY c.relname
"""
_PRIMARY_KEY_QUERY = """
    SELECT a.attname
    FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
    WHERE i.indrelid = %s AND i.indisprimary
    ORDER BY array_position(i.indkey::int2[], a.attnum)
"""
_COLUMNS_QUERY = """
    SELECT attname FROM pg_attribute
    WHERE attrelid = %s AND attnum > 0 AND NOT attisdropped ORDER BY attnum
"""


def json_safe(value: Any) -> Any:
    """A JSON-serialisable stand-in for one value psycopg returned."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(bytes(value))} bytes>"
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    # Decimal (kept exact), UUID, timedelta, ranges, network addresses...
    return str(value)


def _row_text(row: dict[str, Any]) -> str:
    lines = []
    for column, value in row.items():
        if value is None:
            continue
        shown = json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else value
        lines.append(f"{column}: {shown}")
    return "\n".join(lines)


def _aware(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class _Table:
    """One table to read: its name, key columns and whether it has the cursor column."""

    def __init__(self, oid: int, name: str, primary_key: list[str], columns: list[str]) -> None:
        self.oid = oid
        self.name = name
        self.primary_key = primary_key
        self.columns = columns


@register
class PostgreSQLSource(BaseSource):
    name = "PostgreSQL"
    short_name = "postgresql"
    description = "Rows of PostgreSQL tables: each row an entity, each table an entity type."
    auth_methods = ("direct",)
    labels = ("Database",)
    entity_types = ()  # dynamic: "<schema>.<table>" for each table read
    supports_continuous = True
    auth_fields = (
        SourceField("host", "Host", "string", "Server host name or address.", required=True),
        SourceField("port", "Port", "integer", default=5432, min_value=1, max_value=65535),
        SourceField("database", "Database", "string", required=True),
        SourceField("user", "User", "string", required=True),
        SourceField("password", "Password", "string", is_secret=True),
        SourceField(
            "ssl_mode",
            "SSL mode",
            "string",
            "libpq sslmode.",
            default="prefer",
            enum_values=SSL_MODES,
        ),
    )
    config_fields = (
        SourceField("schema", "Schema", "string", default="public"),
        SourceField(
            "tables",
            "Tables",
            "array",
            "Table names, or * for every readable table and view of the schema.",
            items_type="string",
            default=["*"],
        ),
        SourceField(
            "cursor_column",
            "Cursor column",
            "string",
            "A column that grows on every change (updated_at, an id) for incremental syncs.",
        ),
    )

    @property
    def schema(self) -> str:
        return self.config.get("schema") or "public"

    @property
    def table_names(self) -> list[str]:
        tables = self.config.get("tables") or ["*"]
        return [tables] if isinstance(tables, str) else list(tables)

    @property
    def cursor_column(self) -> str | None:
        return self.config.get("cursor_column") or None

    @property
    def is_incremental(self) -> bool:
        if not (super().is_incremental and self.cursor_column):
            return False
        same_setup = self.cursor.get("setup") == self._setup()
        try:
            last_full = datetime.fromisoformat(self.cursor["full_sync_at"])
        except (KeyError, TypeError, ValueError):
            return False
        return same_setup and datetime.now(UTC) - last_full < FULL_SYNC_INTERVAL

    def validate(self) -> None:
        with self._connect() as conn:
            self._checked_tables(conn)

    def generate_entities(self) -> Iterator[SourceEntity]:
        incremental = self.is_incremental
        marks: dict[str, Any] = dict(self.cursor.get("tables", {})) if incremental else {}
        started = datetime.now(UTC)
        with self._connect() as conn:
            conn.read_only = True
            for number, table in enumerate(self._checked_tables(conn)):
                yield from self._read_table(conn, table, number, marks)
        self.cursor = {
            "version": CURSOR_VERSION,
            "setup": self._setup(),
            "tables": marks,
            "full_sync_at": (self.cursor["full_sync_at"] if incremental else started.isoformat()),
        }

    def _setup(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "tables": self.table_names,
            "cursor_column": self.cursor_column,
        }

    def _connect(self) -> psycopg.Connection:
        creds = self.credentials
        where = f"{creds.get('host')}:{creds.get('port') or 5432}"
        try:
            return psycopg.connect(
                host=creds.get("host"),
                port=int(creds.get("port") or 5432),
                dbname=creds.get("database"),
                user=creds.get("user"),
                password=creds.get("password") or None,
                sslmode=creds.get("ssl_mode") or "prefer",
                connect_timeout=CONNECT_TIMEOUT_SECONDS,
                application_name="weft",
            )
        except psycopg.Error as error:
            reason = self._reason(error)
            if _AUTH_FAILURE.search(reason):
                raise SourceAuthError(
                    f"PostgreSQL at {where} refused the login: {reason}"
                ) from None
            raise SourceError(f"Could not connect to PostgreSQL at {where}: {reason}") from None

    def _reason(self, error: psycopg.Error) -> str:
        """The server's or libpq's own words, without the "connection to server..." preamble."""
        text = str(error).strip()
        if "FATAL:" in text:
            text = text.split("FATAL:", 1)[1]
        elif "failed:" in text:
            text = text.rsplit("failed:", 1)[1]
        text = " ".join(text.split())[:300]
        password = self.credentials.get("password")
        return text.replace(password, "[redacted]") if password else text

    def _checked_tables(self, conn: psycopg.Connection) -> list[_Table]:
        try:
            return self._tables(conn)
        except psycopg.Error as error:
            raise SourceError(f"PostgreSQL error listing tables: {self._reason(error)}") from None

    def _tables(self, conn: psycopg.Connection) -> list[_Table]:
        """The tables to read, checked: the schema and every named table must exist."""
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (self.schema,))
            if cur.fetchone() is None:
                raise SourceError(f"Schema '{self.schema}' not found.")
            cur.execute(_TABLES_QUERY, (self.schema,))
            readable = {name: oid for oid, name in cur.fetchall()}
        wanted = self.table_names
        if "*" not in wanted:
            missing = [name for name in wanted if name not in readable]
            if missing:
                raise SourceError(
                    f"Table not found or not readable in schema '{self.schema}': "
                    + ", ".join(missing)
                )
            readable = {name: readable[name] for name in wanted}
        tables = [self._describe(conn, oid, name) for name, oid in readable.items()]
        column = self.cursor_column
        if column and tables and not any(column in table.columns for table in tables):
            raise SourceError(f"Cursor column '{column}' is in none of the selected tables.")
        return tables

    def _describe(self, conn: psycopg.Connection, oid: int, name: str) -> _Table:
        with conn.cursor() as cur:
            cur.execute(_PRIMARY_KEY_QUERY, (oid,))
            primary_key = [row[0] for row in cur.fetchall()]
            cur.execute(_COLUMNS_QUERY, (oid,))
            columns = [row[0] for row in cur.fetchall()]
        return _Table(oid, name, primary_key, columns)

    def _read_table(
        self, conn: psycopg.Connection, table: _Table, number: int, marks: dict[str, Any]
    ) -> Iterator[SourceEntity]:
        entity_type = f"{self.schema}.{table.name}"
        column = self.cursor_column if self.cursor_column in table.columns else None
        query, params = self._select(table, column, marks.get(entity_type))
        high = None
        try:
            with conn.cursor(name=f"weft_rows_{number}", row_factory=dict_row) as cur:
                cur.itersize = ITERSIZE
                cur.execute(query, params)
                for row in cur:
                    value = row.get(column) if column else None
                    if value is not None and (high is None or value > high):
                        high = value
                    yield self._entity(entity_type, table, row)
        except psycopg.Error as error:
            raise SourceError(
                f"PostgreSQL error reading {entity_type}: {self._reason(error)}"
            ) from None
        if high is not None:
            marks[entity_type] = json_safe(high)

    def _select(
        self, table: _Table, column: str | None, since: Any
    ) -> tuple[sql.Composed, tuple[Any, ...]]:
        query = sql.SQL("SELECT * FROM {}.{}").format(
            sql.Identifier(self.schema), sql.Identifier(table.name)
        )
        params: tuple[Any, ...] = ()
        if column and since is not None:
            query += sql.SQL(" WHERE {} >= %s").format(sql.Identifier(column))
            params = (since,)
        order = ([column] if column else []) + table.primary_key
        if order:
            query += sql.SQL(" ORDER BY {}").format(
                sql.SQL(", ").join(sql.Identifier(name) for name in order)
            )
        return query, params

    def _entity(self, entity_type: str, table: _Table, row: dict[str, Any]) -> SourceEntity:
        fields = {column: json_safe(value) for column, value in row.items()}
        entity_id = self._entity_id(table, fields)
        return SourceEntity(
            entity_id=entity_id,
            entity_type=entity_type,
            name=self._name(table, fields, entity_id),
            text=_row_text(fields),
            breadcrumbs=[
                Breadcrumb(self.schema, self.schema, "postgresql_schema"),
                Breadcrumb(entity_type, table.name, "postgresql_table"),
            ],
            fields=fields,
            created_at=_aware(row.get("created_at")),
            updated_at=_aware(row.get("updated_at")),
        )

    def _entity_id(self, table: _Table, fields: dict[str, Any]) -> str:
        if not table.primary_key:
            canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"))
            return "row-" + hashlib.sha256(canonical.encode()).hexdigest()[:32]
        values = [fields[column] for column in table.primary_key]
        return str(values[0]) if len(values) == 1 else json.dumps(values, separators=(",", ":"))

    def _name(self, table: _Table, fields: dict[str, Any], entity_id: str) -> str:
        for column in NAME_COLUMNS:
            value = fields.get(column)
            if isinstance(value, str) and value.strip():
                return value.strip()[:500]
        return f"{table.name} {entity_id}"
