"""Auth-provider connections, and source connections whose credentials come from one."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from connections.auth_providers.base import AuthProviderError, BaseAuthProvider
from connections.auth_providers.mapping import source_credentials
from connections.auth_providers.registry import get_provider, supports
from connections.crypto import DecryptionError, decrypt_json, encrypt_json
from connections.exceptions import Conflict, FieldInvalid, InvalidRequest, NotFound
from connections.models import (
    AuthMethod,
    AuthProviderConnection,
    Collection,
    Credential,
    Organization,
    SourceConnection,
    generate_readable_id,
)
from connections.sources.base import BaseSource, SourceError

# Airweave keeps credentials fetched from a provider for five minutes, and so does Weft.
CREDENTIALS_TTL_SECONDS = 300
CACHE_PREFIX = "weft:auth-provider-credentials:"


# --- Auth-provider connections ---------------------------------------------------------------


def _provider_for_create(short_name: str) -> type[BaseAuthProvider]:
    provider_cls = get_provider(short_name)
    if provider_cls is None:
        raise FieldInvalid.single(("short_name",), f"Unknown auth provider '{short_name}'.")
    return provider_cls


def _clean_auth_fields(provider_cls: type[BaseAuthProvider], auth_fields: Any) -> dict:
    from connections.services import _clean_or_422

    if not isinstance(auth_fields, dict):
        raise FieldInvalid.single(("auth_fields",), f"{provider_cls.name} needs auth fields.")
    return _clean_or_422(provider_cls.auth_fields, auth_fields, ("auth_fields",))


def _validate_live(provider_cls: type[BaseAuthProvider], auth: dict) -> None:
    """Ask the provider whether it accepts the API credentials; 400 with its reason if not."""
    try:
        provider_cls(auth=auth).validate()
    except SourceError as error:
        raise InvalidRequest(f"Could not connect to {provider_cls.name}: {error}") from None


def auth_provider_connection_create(
    *, organization: Organization, data: dict[str, Any], created_by_email: str | None = None
) -> AuthProviderConnection:
    """Register an organization's account with a provider, after checking it live."""
    provider_cls = _provider_for_create(data["short_name"])
    auth = _clean_auth_fields(provider_cls, data.get("auth_fields"))
    connection = AuthProviderConnection(
        organization=organization,
        short_name=provider_cls.short_name,
        name=data["name"],
        readable_id=data.get("readable_id") or generate_readable_id(data["name"]),
        description=data.get("description"),
        created_by_email=created_by_email,
        modified_by_email=created_by_email,
    )
    _full_clean(connection)
    if _readable_id_taken(connection):
        raise Conflict(f"Auth provider connection '{connection.readable_id}' already exists")
    _validate_live(provider_cls, auth)
    try:
        # The unique constraint decides, so two concurrent creates cannot both win.
        with transaction.atomic():
            connection.credential = _new_credential(organization, provider_cls, auth)
            connection.save()
    except IntegrityError:
        raise Conflict(
            f"Auth provider connection '{connection.readable_id}' already exists"
        ) from None
    return connection


def _full_clean(connection: AuthProviderConnection) -> None:
    try:
        connection.full_clean(
            exclude=["credential"], validate_unique=False, validate_constraints=False
        )
    except ValidationError as error:
        raise FieldInvalid(
            {(field,): " ".join(msgs) for field, msgs in error.message_dict.items()}
        ) from None


def _readable_id_taken(connection: AuthProviderConnection) -> bool:
    others = AuthProviderConnection.objects.filter(
        organization=connection.organization, readable_id=connection.readable_id
    )
    return others.exclude(pk=connection.pk).exists()


def _new_credential(
    organization: Organization, provider_cls: type[BaseAuthProvider], auth: dict
) -> Credential:
    credential = Credential(
        organization=organization,
        short_name=provider_cls.short_name,
        auth_method=AuthMethod.AUTH_PROVIDER,
    )
    credential.set_secrets(auth)
    credential.save()
    return credential


def auth_provider_connection_update(
    *,
    connection: AuthProviderConnection,
    data: dict[str, Any],
    modified_by_email: str | None = None,
) -> AuthProviderConnection:
    """Rename, describe, or replace the API credentials (checked live first).

    New credentials resume the source connections that stopped because the provider refused
    the old ones.
    """
    provider_cls = provider_class(connection)
    auth = None
    if data.get("auth_fields") is not None:
        auth = _clean_auth_fields(provider_cls, data["auth_fields"])
        _validate_live(provider_cls, auth)
    for field in ("name", "description"):
        if field in data:
            setattr(connection, field, data[field])
    connection.modified_by_email = modified_by_email
    _full_clean(connection)
    with transaction.atomic():
        if auth is not None:
            _store_auth(connection, provider_cls, auth)
        connection.save()
        if auth is not None:
            _resume_refused(connection)
    return connection


def _store_auth(
    connection: AuthProviderConnection, provider_cls: type[BaseAuthProvider], auth: dict
) -> None:
    credential = connection.credential
    if credential is None:
        connection.credential = _new_credential(connection.organization, provider_cls, auth)
        return
    credential.set_secrets(auth)
    credential.save()


def _resume_refused(connection: AuthProviderConnection) -> None:
    from syncs.models import SyncJob
    from syncs.services import sync_resume

    refused = SyncJob.ErrorCategory.AUTH_PROVIDER_CREDENTIALS_INVALID
    for source_connection in connection.source_connections.with_sync():
        job = source_connection.last_job
        if source_connection.status != SourceConnection.Status.NEEDS_REAUTH:
            continue
        if job is None or job.error_category != refused:
            continue
        _mark_authenticated(source_connection)
        if source_connection.sync.paused:
            sync_resume(sync=source_connection.sync)


def auth_provider_connection_delete(*, connection: AuthProviderConnection) -> None:
    """Delete the connection and its credentials; refused while source connections use it."""
    credential = connection.credential
    try:
        # The foreign key (PROTECT) decides, so a source connection created meanwhile counts.
        with transaction.atomic():
            connection.delete()
            if credential is not None:
                credential.delete()
    except ProtectedError as error:
        raise Conflict(
            f"Auth provider connection '{connection.readable_id}' is used by "
            f"{len(error.protected_objects)} source connection(s); delete them first"
        ) from None


def provider_class(connection: AuthProviderConnection) -> type[BaseAuthProvider]:
    provider_cls = get_provider(connection.short_name)
    if provider_cls is None:
        raise RuntimeError(f"Auth provider '{connection.short_name}' is not installed")
    return provider_cls


def masked_client_id(connection: AuthProviderConnection) -> str | None:
    provider_cls = get_provider(connection.short_name)
    if provider_cls is None or provider_cls.client_id_field is None:
        return None
    if connection.credential is None:
        return None
    try:
        return provider_cls.masked_client_id(connection.credential.secrets)
    except DecryptionError:
        return None


# --- Source connections through a provider --------------------------------------------------


@dataclass(frozen=True)
class ProviderAccount:
    """A checked provider account for a source connection, ready to be stored."""

    connection: AuthProviderConnection
    provider_config: dict[str, Any]
    credentials: dict[str, Any]


def _provider_connection_or_404(
    organization: Organization, readable_id: Any
) -> AuthProviderConnection:
    if not isinstance(readable_id, str):
        raise FieldInvalid.single(("authentication", "provider_readable_id"), "Must be a string.")
    connection = (
        AuthProviderConnection.objects.filter(organization=organization, readable_id=readable_id)
        .select_related("credential")
        .first()
    )
    if connection is None:
        raise NotFound(f"Auth provider '{readable_id}' not found")
    return connection


def check_provider_account(
    *,
    organization: Organization,
    source_cls: type[BaseSource],
    authentication: dict[str, Any],
    config: dict[str, Any],
    current: AuthProviderConnection | None = None,
) -> ProviderAccount:
    """Check a ``{"provider_readable_id", "provider_config"}`` authentication completely.

    The provider connection must exist in the organization (404) and serve the source (400);
    ``provider_config`` must fit the provider's config fields (422); the account's credentials
    are then fetched once and checked against the source live (400 with the reason), so a
    wrong account id is reported at once rather than at the first sync.
    """
    from connections.services import _clean_or_422, validate_live

    readable_id = authentication.get("provider_readable_id")
    if readable_id is None and current is not None:
        connection = current
    else:
        connection = _provider_connection_or_404(organization, readable_id)
    provider_cls = provider_class(connection)
    if not supports(provider_cls, source_cls):
        raise InvalidRequest(
            f"Auth provider {provider_cls.name} does not support the {source_cls.name} source"
        )
    raw_config = authentication.get("provider_config")
    if raw_config is not None and not isinstance(raw_config, dict):
        raise FieldInvalid.single(("authentication", "provider_config"), "Must be an object.")
    path = ("authentication", "provider_config")
    provider_config = _clean_or_422(provider_cls.config_fields, raw_config, path)
    try:
        credentials = fetch_source_credentials(connection, source_cls, provider_config)
    except SourceError as error:
        raise InvalidRequest(
            f"Could not get credentials from {provider_cls.name}: {error}"
        ) from None
    validate_live(source_cls, credentials=credentials, config=config)
    return ProviderAccount(connection, provider_config, credentials)


def fetch_source_credentials(
    connection: AuthProviderConnection, source_cls: type[BaseSource], provider_config: dict
) -> dict:
    """Ask the provider for the account's credentials, in the names the source reads."""
    provider_cls = provider_class(connection)
    if connection.credential is None:
        raise AuthProviderError(f"The {provider_cls.name} connection has no API credentials.")
    provider = provider_cls(auth=connection.credential.secrets)
    payload = provider.fetch_credentials(
        source_short_name=source_cls.short_name, config=provider_config
    )
    return source_credentials(source_cls, payload, provider=provider_cls.name)


def source_connection_create_with_provider(
    *,
    organization: Organization,
    collection: Collection,
    source_cls: type[BaseSource],
    data: dict[str, Any],
) -> SourceConnection:
    """Create a connection whose credentials come from an auth provider at sync time."""
    from connections.services import clean_source_config, resolve_cron, source_connection_row
    from syncs.services import sync_create, sync_job_enqueue

    config = clean_source_config(source_cls, data.get("config"))
    now = timezone.now()
    cron = resolve_cron(source_cls, data.get("schedule"), now)
    account = check_provider_account(
        organization=organization,
        source_cls=source_cls,
        authentication=data["authentication"],
        config=config,
    )
    with transaction.atomic():
        source_connection = source_connection_row(
            organization=organization,
            collection=collection,
            source_cls=source_cls,
            data=data,
            config=config,
            auth_method=AuthMethod.AUTH_PROVIDER,
            auth_provider_connection=account.connection,
            provider_config=account.provider_config,
            is_authenticated=True,
            authenticated_at=now,
        )
        sync = sync_create(source_connection=source_connection, cron=cron)
        # Fetched a moment ago: the first sync need not ask the provider again.
        _cache_put(source_connection, account.connection, account.credentials)
        if data.get("sync_immediately", True):
            sync_job_enqueue(sync=sync)
    return SourceConnection.objects.with_sync().get(pk=source_connection.pk)


def check_new_provider_account(
    *, source_connection: SourceConnection, authentication: dict[str, Any]
) -> ProviderAccount:
    """Check a PATCH's new account (re-authentication); nothing is stored yet.

    ``provider_config`` keys not given keep their stored values while the provider connection
    stays the same, so a new ``account_id`` alone is enough.
    """
    if "credentials" in authentication:
        raise InvalidRequest(
            "This connection gets its credentials from an auth provider: give a new "
            '{"provider_config": {...}} (and optionally "provider_readable_id") instead'
        )
    current = source_connection.auth_provider_connection
    readable_id = authentication.get("provider_readable_id")
    provider_config = authentication.get("provider_config")
    same_provider = readable_id in (None, current and current.readable_id)
    if same_provider and isinstance(provider_config, dict):
        provider_config = {**(source_connection.provider_config or {}), **provider_config}
    return check_provider_account(
        organization=source_connection.organization,
        source_cls=source_connection.source_class,
        authentication={**authentication, "provider_config": provider_config},
        config=source_connection.config,
        current=current,
    )


def store_provider_account(
    *, source_connection: SourceConnection, account: ProviderAccount
) -> None:
    """Point the connection at a checked account (re-authentication of a provider connection)."""
    SourceConnection.objects.filter(pk=source_connection.pk).update(
        auth_provider_connection=account.connection, provider_config=account.provider_config
    )
    source_connection.auth_provider_connection = account.connection
    source_connection.provider_config = account.provider_config
    _mark_authenticated(source_connection)
    _cache_put(source_connection, account.connection, account.credentials)


def _mark_authenticated(source_connection: SourceConnection) -> None:
    now = timezone.now()
    SourceConnection.objects.filter(pk=source_connection.pk).update(
        is_authenticated=True, authenticated_at=now
    )
    source_connection.is_authenticated, source_connection.authenticated_at = True, now


# --- Credentials at sync time ----------------------------------------------------------------


def provider_credentials(
    source_connection: SourceConnection, *, force_refresh: bool = False
) -> dict:
    """The connection's credentials from its provider, cached (encrypted) for five minutes.

    ``force_refresh`` asks the provider again. A refusal raises ``AuthProviderError`` (account
    gone, or API credentials invalid), which fails the job with that category.
    """
    connection = source_connection.auth_provider_connection
    if connection is None:
        raise AuthProviderError("The connection's auth provider connection is gone.")
    if not force_refresh:
        cached = _cache_get(source_connection, connection)
        if cached is not None:
            return cached
    credentials = fetch_source_credentials(
        connection, source_connection.source_class, source_connection.provider_config or {}
    )
    _cache_put(source_connection, connection, credentials)
    return credentials


def _cache_key(source_connection: SourceConnection, connection: AuthProviderConnection) -> str:
    # New API credentials (modified_at) or another account (provider_config) miss the cache.
    parts = [
        str(source_connection.pk),
        str(connection.pk),
        connection.modified_at.isoformat(),
        json.dumps(source_connection.provider_config or {}, sort_keys=True),
    ]
    return CACHE_PREFIX + hashlib.sha256("|".join(parts).encode()).hexdigest()


def _cache_put(
    source_connection: SourceConnection, connection: AuthProviderConnection, credentials: dict
) -> None:
    value = encrypt_json({"credentials": credentials, "fetched_at": time.time()})
    cache.set(_cache_key(source_connection, connection), value, CREDENTIALS_TTL_SECONDS)


def _cache_get(
    source_connection: SourceConnection, connection: AuthProviderConnection
) -> dict | None:
    value = cache.get(_cache_key(source_connection, connection))
    if value is None:
        return None
    try:
        entry = decrypt_json(value)
    except DecryptionError:
        return None
    # The cache backend's own expiry is the first guard; this one holds on any backend.
    if time.time() - entry["fetched_at"] >= CREDENTIALS_TTL_SECONDS:
        return None
    return entry["credentials"]


def provider_settings_url(source_connection: SourceConnection) -> str | None:
    connection = source_connection.auth_provider_connection
    provider_cls = connection and get_provider(connection.short_name)
    return provider_cls.settings_url if provider_cls else None
