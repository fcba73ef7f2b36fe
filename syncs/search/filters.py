"""Search filters in Airweave's shape: groups of conditions, AND within a group, OR between.

``parse_filter`` checks a request's ``filter`` and names the condition that is wrong (a 422);
``compile_filters`` turns checked groups into a SQL condition over the chunk (alias ``c``) and
its entity (alias ``e``) for either database.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from django.db import connection
from django.utils.dateparse import parse_date, parse_datetime

from connections.exceptions import FieldInvalid

TEXT, DATE, INTEGER, UUID = "text", "date", "integer", "uuid"

MAX_GROUPS = 50
MAX_CONDITIONS = 50
MAX_LIST_VALUES = 1000


@dataclass(frozen=True)
class FieldSpec:
    kind: str
    # SQL expression per vendor ("*" for both); breadcrumb fields use ``breadcrumb_key``.
    sql: dict[str, str]
    breadcrumb_key: str = ""


_CHUNK_DOC_ID = "e.entity_id || '__chunk_' || CAST(c.chunk_index AS TEXT)"
_SOURCE_NAME = (
    "(SELECT sc.short_name FROM connections_sourceconnection sc "
    "WHERE sc.id = e.source_connection_id)"
)
_SYNC_ID = "(SELECT s.id FROM syncs_sync s WHERE s.source_connection_id = e.source_connection_id)"

FIELDS: dict[str, FieldSpec] = {
    "entity_id": FieldSpec(TEXT, {"*": _CHUNK_DOC_ID}),
    "name": FieldSpec(TEXT, {"*": "c.name"}),
    "created_at": FieldSpec(DATE, {"*": "e.source_created_at"}),
    "updated_at": FieldSpec(DATE, {"*": "e.source_updated_at"}),
    "breadcrumbs.entity_id": FieldSpec(TEXT, {}, breadcrumb_key="entity_id"),
    "breadcrumbs.name": FieldSpec(TEXT, {}, breadcrumb_key="name"),
    "breadcrumbs.entity_type": FieldSpec(TEXT, {}, breadcrumb_key="entity_type"),
    "airweave_system_metadata.entity_type": FieldSpec(TEXT, {"*": "e.entity_type"}),
    "airweave_system_metadata.source_name": FieldSpec(TEXT, {"*": _SOURCE_NAME}),
    "airweave_system_metadata.original_entity_id": FieldSpec(TEXT, {"*": "e.entity_id"}),
    "airweave_system_metadata.chunk_index": FieldSpec(INTEGER, {"*": "c.chunk_index"}),
    "airweave_system_metadata.sync_id": FieldSpec(
        UUID, {"postgresql": f"CAST({_SYNC_ID} AS TEXT)", "sqlite": _SYNC_ID}
    ),
    "airweave_system_metadata.sync_job_id": FieldSpec(
        UUID, {"postgresql": "CAST(e.last_sync_job_id AS TEXT)", "sqlite": "e.last_sync_job_id"}
    ),
}

ORDERING = {
    "greater_than": ">",
    "less_than": "<",
    "greater_than_or_equal": ">=",
    "less_than_or_equal": "<=",
}
OPERATORS = ("equals", "not_equals", "contains", *ORDERING, "in", "not_in")
LIST_OPERATORS = ("in", "not_in")
NEGATIVE_OPERATORS = ("not_equals", "not_in")


@dataclass(frozen=True)
class Condition:
    field: str
    operator: str
    value: Any


FilterGroups = list[list[Condition]]


# --- Checking a request's filter ------------------------------------------------------------


def parse_filter(raw: Any, path: tuple[str | int, ...] = ("filter",)) -> FilterGroups:
    """Check a ``filter`` value (None or a list of groups); raises FieldInvalid naming the part."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise FieldInvalid.single(path, "filter must be a list of filter groups")
    if len(raw) > MAX_GROUPS:
        raise FieldInvalid.single(path, f"at most {MAX_GROUPS} filter groups")
    return [_parse_group(group, (*path, index)) for index, group in enumerate(raw)]


def _parse_group(group: Any, path: tuple) -> list[Condition]:
    if not isinstance(group, dict):
        raise FieldInvalid.single(path, 'a filter group is an object: {"conditions": [...]}')
    conditions = group.get("conditions")
    if not isinstance(conditions, list) or not conditions:
        raise FieldInvalid.single(
            (*path, "conditions"), "a filter group needs a non-empty list of conditions"
        )
    if len(conditions) > MAX_CONDITIONS:
        raise FieldInvalid.single((*path, "conditions"), f"at most {MAX_CONDITIONS} conditions")
    return [
        _parse_condition(condition, (*path, "conditions", index))
        for index, condition in enumerate(conditions)
    ]


def _parse_condition(raw: Any, path: tuple) -> Condition:
    name = _describe(path)
    if not isinstance(raw, dict) or not {"field", "operator", "value"} <= raw.keys():
        raise FieldInvalid.single(path, f"{name}: a condition has field, operator and value")
    field, operator, value = raw["field"], raw["operator"], raw["value"]
    label = f"{name} ({field} {operator} {value!r})"
    if field not in FIELDS:
        raise FieldInvalid.single(
            (*path, "field"), f"{label}: unknown field; use one of {', '.join(FIELDS)}"
        )
    if operator not in OPERATORS:
        raise FieldInvalid.single(
            (*path, "operator"), f"{label}: unknown operator; use one of {', '.join(OPERATORS)}"
        )
    try:
        checked = _check_value(FIELDS[field].kind, operator, value)
    except ValueError as error:
        raise FieldInvalid.single((*path, "value"), f"{label}: {error}") from None
    return Condition(field, operator, checked)


def _describe(path: tuple) -> str:
    # ("filter", 0, "conditions", 1) -> "filter[0].conditions[1]"
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
    return text


def _check_value(kind: str, operator: str, value: Any) -> Any:
    if operator in ORDERING and kind not in (DATE, INTEGER):
        raise ValueError(f"'{operator}' works only on dates and chunk_index")
    if operator == "contains" and kind not in (TEXT, UUID):
        raise ValueError("'contains' works only on text fields")
    if operator in LIST_OPERATORS:
        if not isinstance(value, list):
            raise ValueError(f"'{operator}' needs a list of values")
        if len(value) > MAX_LIST_VALUES:
            raise ValueError(f"at most {MAX_LIST_VALUES} values")
        return [_check_scalar(kind, item) for item in value]
    if isinstance(value, list):
        raise ValueError(f"'{operator}' takes a single value, not a list")
    return _check_scalar(kind, value)


def _check_scalar(kind: str, value: Any) -> Any:
    if kind == INTEGER:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("chunk_index is compared with a whole number")
        return value
    if not isinstance(value, str):
        raise ValueError(f"this field is compared with a string, not {type(value).__name__}")
    if kind == DATE:
        return _parse_iso(value)
    return value


def _parse_iso(value: str) -> datetime:
    parsed = parse_datetime(value)
    if parsed is None:
        day = parse_date(value)
        if day is None:
            raise ValueError("dates are ISO-8601 strings, such as 2024-01-31T12:00:00Z")
        parsed = datetime.combine(day, time.min)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# --- Compiling to SQL -----------------------------------------------------------------------


def compile_filters(all_groups: list[FilterGroups]) -> tuple[str, list[Any]]:
    """One SQL condition for several filters, all of which must hold ("" when there are none).

    Each filter is a list of groups (OR) of conditions (AND). Values are always parameters.
    """
    clauses: list[str] = []
    params: list[Any] = []
    for groups in all_groups:
        if not groups:
            continue
        group_sql = []
        for conditions in groups:
            parts = [_compile_condition(condition, params) for condition in conditions]
            group_sql.append("(" + " AND ".join(parts) + ")")
        clauses.append("(" + " OR ".join(group_sql) + ")")
    return " AND ".join(clauses), params


def _compile_condition(condition: Condition, params: list[Any]) -> str:
    spec = FIELDS[condition.field]
    if spec.breadcrumb_key:
        return _compile_breadcrumb(spec.breadcrumb_key, condition, params)
    expression = spec.sql.get(connection.vendor) or spec.sql["*"]
    return _apply(expression, spec.kind, condition.operator, condition.value, params)


def _apply(expression: str, kind: str, operator: str, value: Any, params: list[Any]) -> str:
    """``expression <operator> value`` in SQL; negative operators also hold for NULL."""
    if operator in LIST_OPERATORS:
        values = [_db_value(kind, item) for item in value]
        if not values:
            return "1=0" if operator == "in" else "1=1"
        params.extend(values)
        placeholders = ", ".join(["%s"] * len(values))
        if operator == "in":
            return f"{expression} IN ({placeholders})"
        return f"({expression} IS NULL OR {expression} NOT IN ({placeholders}))"
    if operator == "contains":
        params.append(f"%{_like_escape(_db_value(kind, value, partial=True))}%")
        like = "ILIKE" if connection.vendor == "postgresql" else "LIKE"
        return f"{expression} {like} %s ESCAPE '\\'"
    params.append(_db_value(kind, value))
    if operator == "equals":
        return f"{expression} = %s"
    if operator == "not_equals":
        return f"({expression} IS NULL OR {expression} <> %s)"
    return f"{expression} {ORDERING[operator]} %s"


def _compile_breadcrumb(key: str, condition: Condition, params: list[Any]) -> str:
    """Any breadcrumb matches; for not_equals / not_in, none of them matches."""
    if connection.vendor == "postgresql":
        source = "jsonb_array_elements(e.breadcrumbs) AS b(value)"
        element = f"b.value ->> '{key}'"
    else:
        source = "json_each(e.breadcrumbs) AS b"
        element = f"json_extract(b.value, '$.{key}')"
    negated = condition.operator in NEGATIVE_OPERATORS
    positive = {"not_equals": "equals", "not_in": "in"}.get(condition.operator, condition.operator)
    test = _apply(element, TEXT, positive, condition.value, params)
    exists = f"EXISTS (SELECT 1 FROM {source} WHERE {test})"
    return f"NOT {exists}" if negated else exists


def _db_value(kind: str, value: Any, *, partial: bool = False) -> Any:
    if kind == DATE:
        return connection.ops.adapt_datetimefield_value(value)
    if kind == UUID:
        return _uuid_value(value, partial=partial)
    return value


def _uuid_value(value: str, *, partial: bool) -> str:
    """UUIDs are text with dashes on PostgreSQL and 32 hex digits on SQLite."""
    text = value.strip().lower()
    if connection.vendor == "postgresql":
        return text
    if partial:
        return text.replace("-", "")
    try:
        return uuid.UUID(text).hex
    except ValueError:
        return text  # matches nothing, as on PostgreSQL


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
