"""The contract every source (connector) implements, and the field schema it declares."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

FIELD_TYPES = ("string", "integer", "number", "boolean", "array", "object")


@dataclass(frozen=True)
class SourceField:
    """One auth or config field a source declares; drives validation, the API and the forms."""

    name: str
    title: str
    type: str = "string"
    description: str = ""
    required: bool = False
    is_secret: bool = False
    default: Any = None
    items_type: str | None = None
    enum_values: tuple[str, ...] | None = None
    min_value: float | None = None
    max_value: float | None = None
    pattern: str | None = None

    def to_api(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description or None,
            "type": self.type,
            "required": self.required,
            "items_type": self.items_type,
            "feature_flag": None,
            "is_secret": self.is_secret,
            "enum_values": list(self.enum_values) if self.enum_values else None,
        }

    def clean(self, value: Any) -> Any:
        """Coerce and check one value; raises ValueError with a message for the user."""
        checker = getattr(self, f"_clean_{self.type}")
        value = checker(value)
        if self.enum_values and value not in self.enum_values:
            raise ValueError(f"Must be one of: {', '.join(self.enum_values)}.")
        return value

    def _clean_string(self, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError("Must be a string.")
        if self.required and not value.strip():
            raise ValueError("This field may not be blank.")
        if self.pattern and not re.fullmatch(self.pattern, value):
            raise ValueError(f"Does not match the expected format ({self.pattern}).")
        return value

    def _clean_integer(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ValueError("Must be an integer.")
        try:
            number = int(value)
        except ValueError:
            raise ValueError("Must be an integer.") from None
        return self._check_range(number)

    def _clean_number(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValueError("Must be a number.")
        try:
            number = float(value)
        except ValueError:
            raise ValueError("Must be a number.") from None
        return self._check_range(number)

    def _check_range(self, number):
        if self.min_value is not None and number < self.min_value:
            raise ValueError(f"Must be at least {self.min_value:g}.")
        if self.max_value is not None and number > self.max_value:
            raise ValueError(f"Must be at most {self.max_value:g}.")
        return number

    def _clean_boolean(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise ValueError("Must be a boolean.")

    def _clean_array(self, value: Any) -> list:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if not isinstance(value, list):
            raise ValueError("Must be a list.")
        if self.items_type == "string" and not all(isinstance(item, str) for item in value):
            raise ValueError("Every item must be a string.")
        return value

    def _clean_object(self, value: Any) -> dict:
        if not isinstance(value, dict):
            raise ValueError("Must be an object.")
        return value


def clean_fields(
    fields: tuple[SourceField, ...], data: Mapping[str, Any] | None
) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate ``data`` against declared fields: returns (cleaned values, errors by field)."""
    data = dict(data or {})
    known = {f.name: f for f in fields}
    errors = {name: "Unknown field." for name in data if name not in known}
    cleaned: dict[str, Any] = {}
    for spec in fields:
        value = data.get(spec.name)
        if value is None or value == "":
            if spec.required and spec.default is None:
                errors[spec.name] = "This field is required."
            elif spec.default is not None:
                cleaned[spec.name] = spec.default
            continue
        try:
            cleaned[spec.name] = spec.clean(value)
        except ValueError as exc:
            errors[spec.name] = str(exc)
    return cleaned, errors


@dataclass
class Breadcrumb:
    entity_id: str
    name: str
    entity_type: str

    def as_dict(self) -> dict[str, str]:
        return {"entity_id": self.entity_id, "name": self.name, "entity_type": self.entity_type}


@dataclass
class SourceEntity:
    """One item a source yields: a file, a row, an issue, a page..."""

    entity_id: str
    entity_type: str
    name: str
    text: str = ""
    breadcrumbs: list[Breadcrumb] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)
    web_url: str = ""
    url: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass
class EntityDeletion:
    """An incremental source's statement that an entity no longer exists."""

    entity_id: str
    entity_type: str


class SourceError(Exception):
    """A source-level failure: the run cannot go on."""


class SourceAuthError(SourceError):
    """The source refused the credentials (HTTP 401/403 or equivalent)."""


class EntityError(Exception):
    """One entity could not be processed; the run goes on without it."""

    def __init__(self, entity_id: str, reason: str) -> None:
        super().__init__(f"{entity_id}: {reason}")
        self.entity_id = entity_id
        self.reason = reason


class BaseSource:
    """A connector: declares its metadata, checks credentials live, and yields entities.

    Subclasses set the class attributes and implement ``validate`` and ``generate_entities``.
    ``self.cursor`` holds the incremental state; the engine saves it only when a run completes.
    ``self.entity_failures`` collects ``(entity_id, reason)`` for items the generator could not
    read (one corrupt PDF, one unreadable row): the source still yields what it knows of the
    item (without content) and appends the reason here; the engine counts each as a failed
    entity (not also as inserted or updated), writes nothing of the item, keeps its stored
    version (a full run does not delete it as unseen), keeps the reason on the job and goes on.
    """

    name: ClassVar[str]
    short_name: ClassVar[str]
    description: ClassVar[str] = ""
    auth_methods: ClassVar[tuple[str, ...]] = ("direct",)
    oauth_type: ClassVar[str | None] = None
    # The OAuth provider (connections.oauth.providers) and scopes of the browser flow.
    oauth_provider: ClassVar[str | None] = None
    oauth_scopes: ClassVar[tuple[str, ...]] = ()
    requires_byoc: ClassVar[bool] = False
    auth_fields: ClassVar[tuple[SourceField, ...]] = ()
    config_fields: ClassVar[tuple[SourceField, ...]] = ()
    entity_types: ClassVar[tuple[str, ...]] = ()
    labels: ClassVar[tuple[str, ...]] = ()
    supports_continuous: ClassVar[bool] = False
    federated_search: ClassVar[bool] = False
    internal: ClassVar[bool] = False
    rate_limit_level: ClassVar[str | None] = None
    # Keys of ``SourceEntity.fields`` left out of the content hash (counters that tick on their
    # own, like stars): a change to them alone does not rewrite the entity.
    volatile_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        *,
        credentials: Mapping[str, Any] | None = None,
        config: Mapping[str, Any] | None = None,
        cursor: Mapping[str, Any] | None = None,
    ) -> None:
        self.credentials = dict(credentials or {})
        self.config = dict(config or {})
        self.cursor: dict[str, Any] = dict(cursor or {})
        self.entity_failures: list[tuple[str, str]] = []
        # Set by the engine for OAuth connections: ``provider(force_refresh)`` returns the
        # current credentials, refreshing the token when it is about to expire (or if forced).
        self.credentials_provider: Callable[[bool], Mapping[str, Any]] | None = None

    # A token this close to its expiry is refreshed before the next request.
    TOKEN_MARGIN: ClassVar[timedelta] = timedelta(minutes=5)

    def current_credentials(self, *, force_refresh: bool = False) -> dict[str, Any]:
        """The credentials to use for the next request; long runs call this per request so
        they never send an expired OAuth token (``force_refresh`` after a 401)."""
        if self.credentials_provider is None:
            return self.credentials
        if force_refresh or self._token_expiring():
            self.credentials = dict(self.credentials_provider(force_refresh))
        return self.credentials

    def _token_expiring(self) -> bool:
        expires = self.credentials.get("expires_at")
        if not expires:
            return False
        try:
            when = datetime.fromisoformat(str(expires).replace("Z", "+00:00"))
        except ValueError:
            return False
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return when - self.TOKEN_MARGIN <= datetime.now(UTC)

    @classmethod
    def check_config(cls, config: Mapping[str, Any]) -> None:
        """Refuse a cleaned config that is well-formed but not allowed, before anything is stored.

        Raise ``connections.exceptions.FieldInvalid`` naming the field (the API answers 422);
        the default accepts everything. Called at create and update time, offline.
        """

    @classmethod
    def needs_credentials(cls) -> bool:
        return bool(cls.auth_fields) or any(m != "direct" for m in cls.auth_methods)

    @classmethod
    def secret_field_names(cls) -> set[str]:
        return {f.name for f in cls.auth_fields + cls.config_fields if f.is_secret}

    @property
    def is_incremental(self) -> bool:
        """A run is incremental when the source supports it and a saved cursor exists."""
        return self.supports_continuous and bool(self.cursor)

    def validate(self) -> None:
        """Check the credentials and config against the live source; raise SourceError if not."""

    def generate_entities(self) -> Iterator[SourceEntity | EntityDeletion]:
        raise NotImplementedError
