"""Orchestration for organizations, API keys and collections."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from connections.exceptions import Conflict, FieldInvalid, InvalidRequest, NotFound
from connections.models import (
    ApiKey,
    AuthMethod,
    Collection,
    Credential,
    Membership,
    Organization,
    SourceConnection,
    generate_readable_id,
)


def apikey_create(
    *, organization_slug: str, name: str = "", days: int = 90, created_by=None
) -> tuple[ApiKey, str]:
    """Issue a key for the organization with this slug, creating the organization if needed."""
    organization, _ = Organization.get_or_create_by_slug(organization_slug)
    return ApiKey.issue(organization=organization, name=name, days=days, created_by=created_by)


def _validation_to_field_invalid(error: ValidationError) -> FieldInvalid:
    return FieldInvalid({(field,): " ".join(msgs) for field, msgs in error.message_dict.items()})


def collection_create(
    *,
    organization: Organization,
    name: str,
    readable_id: str | None = None,
    sync_config: dict[str, Any] | None = None,
    created_by_email: str | None = None,
) -> Collection:
    collection = Collection(
        organization=organization,
        name=name,
        readable_id=readable_id or generate_readable_id(name),
        sync_config=sync_config,
        created_by_email=created_by_email,
        modified_by_email=created_by_email,
    )
    try:
        collection.full_clean(validate_unique=False)
    except ValidationError as error:
        raise _validation_to_field_invalid(error) from None
    try:
        # The unique index decides, so two concurrent creates cannot both win.
        with transaction.atomic():
            collection.save()
    except IntegrityError:
        raise Conflict(
            f"Collection with readable_id '{collection.readable_id}' already exists"
        ) from None
    return collection


def collection_update(
    *, collection: Collection, data: dict[str, Any], modified_by_email: str | None = None
) -> Collection:
    for field in ("name", "sync_config"):
        if field in data:
            setattr(collection, field, data[field])
    collection.modified_by_email = modified_by_email
    try:
        collection.full_clean(validate_unique=False)
    except ValidationError as error:
        raise _validation_to_field_invalid(error) from None
    collection.save()
    return collection


def collection_delete(*, collection: Collection) -> Collection:
    """Delete a collection and everything under it; returns the (unsaved) deleted collection."""
    snapshot = Collection.objects.get(pk=collection.pk)
    for source_connection in collection.source_connections.all():
        source_connection_delete(source_connection=source_connection)
    collection.delete()
    return snapshot


def member_add(
    *, organization_slug: str, email: str, password: str | None = None, role: str = "member"
) -> tuple[Membership, bool]:
    """Add a person (by email) to an organization, creating both as needed.

    Returns the membership and whether the user was created. An existing user's password is
    changed only when one is given.
    """
    from django.contrib.auth import get_user_model

    if role not in Membership.Role.values:
        raise FieldInvalid.single(
            ("role",), f"Must be one of: {', '.join(Membership.Role.values)}."
        )
    organization, _ = Organization.get_or_create_by_slug(organization_slug)
    user_model = get_user_model()
    email = user_model.objects.normalize_email(email).lower()
    user, created = user_model.objects.get_or_create(username=email, defaults={"email": email})
    if password:
        user.set_password(password)
        user.save(update_fields=["password"])
    elif created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    membership, _ = Membership.objects.update_or_create(
        organization=organization, user=user, defaults={"role": role}
    )
    return membership, created


# --- Source connections ---------------------------------------------------------------------


OAUTH_METHODS = frozenset({AuthMethod.OAUTH_BROWSER, AuthMethod.OAUTH_TOKEN, AuthMethod.OAUTH_BYOC})


def _source_or_404(short_name: str):
    from connections.sources.registry import get_source

    source_cls = get_source(short_name)
    if source_cls is None:
        raise NotFound(f"Source '{short_name}' not found")
    return source_cls


def detect_auth_method(authentication: dict | None) -> str:
    """Which authentication method a create request's ``authentication`` object means."""
    if not authentication:
        return AuthMethod.OAUTH_BROWSER
    if "credentials" in authentication:
        return AuthMethod.DIRECT
    if "access_token" in authentication:
        return AuthMethod.OAUTH_TOKEN
    if "provider_readable_id" in authentication:
        return AuthMethod.AUTH_PROVIDER
    if {"client_id", "client_secret", "consumer_key", "consumer_secret"} & authentication.keys():
        return AuthMethod.OAUTH_BYOC
    return AuthMethod.OAUTH_BROWSER


def _clean_or_422(fields, data, path: tuple[str, ...]) -> dict:
    from connections.sources.base import clean_fields

    cleaned, errors = clean_fields(fields, data)
    if errors:
        raise FieldInvalid({(*path, name): message for name, message in errors.items()})
    return cleaned


def clean_source_config(source_cls, config: dict | None) -> dict:
    cleaned = _clean_or_422(source_cls.config_fields, config, ("config",))
    check = getattr(source_cls, "check_config", None)
    if check is not None:
        check(cleaned)
    return cleaned


def _credentials_for(source_cls, method: str, authentication: dict | None) -> dict:
    if method == AuthMethod.DIRECT:
        credentials = (authentication or {}).get("credentials") or {}
        return _clean_or_422(source_cls.auth_fields, credentials, ("authentication", "credentials"))
    if method == AuthMethod.OAUTH_TOKEN:
        token = {"access_token": authentication["access_token"], "token_type": "Bearer"}
        for optional in ("refresh_token", "expires_at"):
            if authentication.get(optional):
                token[optional] = str(authentication[optional])
        return token
    # The browser flows (oauth_browser, oauth_byoc) store their token at the callback.
    return {}


def _token_expiry(token: dict):
    from rest_framework.fields import DateTimeField

    return (
        DateTimeField().to_internal_value(token["expires_at"]) if token.get("expires_at") else None
    )


def _check_method_supported(source_cls, method: str) -> None:
    if method == AuthMethod.DIRECT and not source_cls.needs_credentials():
        return
    from connections.oauth.providers import available_auth_methods, unavailable_reason

    if method not in source_cls.auth_methods and method not in available_auth_methods(source_cls):
        supported = ", ".join(available_auth_methods(source_cls))
        raise InvalidRequest(
            f"Source {source_cls.short_name} does not support the {method} authentication "
            f"method. Supported methods: [{supported}]"
        )
    if reason := unavailable_reason(source_cls, method):
        raise InvalidRequest(reason)


# Token fields that are secret whatever the source declares.
TOKEN_SECRET_FIELDS = frozenset({"access_token", "refresh_token", "client_secret"})
# Shorter values would redact ordinary words; no real secret is this short.
MIN_REDACTED_LENGTH = 4


def secret_values(source_cls, credentials: dict) -> list[str]:
    """The secret strings in a credentials payload, by the source's declared secret fields."""
    names = source_cls.secret_field_names() | TOKEN_SECRET_FIELDS
    values = (str(v) for k, v in credentials.items() if k in names and v is not None)
    return [value for value in values if len(value) >= MIN_REDACTED_LENGTH]


def redact_secrets(text: str, secrets: list[str]) -> str:
    """``text`` with every secret replaced, for messages a source may have built from them."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "[redacted]")
    return text


def validate_live(source_cls, *, credentials: dict, config: dict) -> None:
    """Ask the source itself whether the credentials and config work; 400 with its reason."""
    from connections.sources.base import SourceError

    try:
        source_cls(credentials=credentials, config=config).validate()
    except SourceError as error:
        reason = redact_secrets(str(error), secret_values(source_cls, credentials))
        raise InvalidRequest(f"Could not connect to {source_cls.name}: {reason}") from None


def resolve_cron(source_cls, schedule: dict | None, now) -> str | None:
    from syncs import schedules
    from syncs.services import check_schedule

    if schedule is None or "cron" not in schedule:
        return schedules.default_cron(now)
    if schedule["cron"] is None:
        return None
    return check_schedule(source_cls=source_cls, cron=schedule["cron"])


def source_connection_create(*, organization: Organization, data: dict[str, Any]):
    """Create a connection, check its credentials live, and (by default) queue its first sync."""
    from django.utils import timezone

    from syncs.services import sync_create, sync_job_enqueue

    source_cls = _source_or_404(data["short_name"])
    collection = (
        Collection.objects.for_org(organization)
        .filter(readable_id=data["readable_collection_id"])
        .first()
    )
    if collection is None:
        raise NotFound("Collection not found")
    authentication = data.get("authentication")
    method = detect_auth_method(authentication)
    if not source_cls.needs_credentials() and method == AuthMethod.OAUTH_BROWSER:
        method = AuthMethod.DIRECT
    _check_method_supported(source_cls, method)
    if method == AuthMethod.AUTH_PROVIDER:
        from connections.auth_providers.services import source_connection_create_with_provider

        return source_connection_create_with_provider(
            organization=organization, collection=collection, source_cls=source_cls, data=data
        )
    if method in (AuthMethod.OAUTH_BROWSER, AuthMethod.OAUTH_BYOC):
        from connections.oauth.services import oauth_connection_create

        return oauth_connection_create(
            organization=organization,
            source_cls=source_cls,
            collection=collection,
            method=method,
            data=data,
        )
    credentials = _credentials_for(source_cls, method, authentication)
    config = clean_source_config(source_cls, data.get("config"))
    now = timezone.now()
    cron = resolve_cron(source_cls, data.get("schedule"), now)
    validate_live(source_cls, credentials=credentials, config=config)
    with transaction.atomic():
        credential = None
        if credentials:
            credential = Credential(
                organization=organization, short_name=source_cls.short_name, auth_method=method
            )
            credential.set_secrets(credentials)
            if method == AuthMethod.OAUTH_TOKEN:
                credential.expires_at = _token_expiry(credentials)
            credential.save()
        source_connection = source_connection_row(
            organization=organization,
            collection=collection,
            source_cls=source_cls,
            data=data,
            config=config,
            auth_method=method,
            credential=credential,
            is_authenticated=True,
            authenticated_at=now,
        )
        sync = sync_create(source_connection=source_connection, cron=cron)
        if data.get("sync_immediately", True):
            sync_job_enqueue(sync=sync)
    return SourceConnection.objects.with_sync().get(pk=source_connection.pk)


def source_connection_row(
    *,
    organization: Organization,
    collection: Collection,
    source_cls,
    data: dict[str, Any],
    config: dict,
    auth_method: str,
    **auth: Any,
) -> SourceConnection:
    """Insert a connection's row from a create request (name, description) and the cleaned
    config; ``auth`` holds the fields of its authentication method."""
    return SourceConnection.objects.create(
        organization=organization,
        collection=collection,
        short_name=source_cls.short_name,
        name=data.get("name") or f"{source_cls.name} Connection"[:42],
        description=data.get("description"),
        config=config,
        auth_method=auth_method,
        **auth,
    )


def source_connection_credentials(
    source_connection: SourceConnection, *, force_refresh: bool = False
) -> dict:
    """The secrets a source needs to run (empty for sources without any).

    Direct credentials are decrypted as stored; OAuth tokens are refreshed first when they are
    about to expire (or when ``force_refresh``, after the source answered 401); auth-provider
    connections fetch theirs from the provider. A refusal raises ``SourceAuthError``.
    """
    method = source_connection.auth_method
    if method == AuthMethod.AUTH_PROVIDER:
        from connections.auth_providers.services import provider_credentials

        return provider_credentials(source_connection, force_refresh=force_refresh)
    credential = source_connection.credential
    if credential is None:
        return {}
    if method in OAUTH_METHODS:
        from connections.oauth.tokens import token_credentials

        return token_credentials(credential, force_refresh=force_refresh)
    return credential.secrets


def source_connection_update(*, source_connection: SourceConnection, data: dict[str, Any]):
    from syncs.services import check_schedule, sync_resume, sync_set_schedule

    source_cls = source_connection.source_class
    fields: list[str] = []
    for simple in ("name", "description"):
        if simple in data:
            setattr(source_connection, simple, data[simple])
            fields.append(simple)
    if "config" in data:
        source_connection.config = clean_source_config(source_cls, data["config"])
        fields.append("config")
    new_credentials = new_account = None
    if data.get("authentication") is not None and (
        source_connection.auth_method == AuthMethod.AUTH_PROVIDER
    ):
        from connections.auth_providers.services import check_new_provider_account

        new_account = check_new_provider_account(
            source_connection=source_connection, authentication=data["authentication"]
        )
    elif data.get("authentication") is not None:
        if source_connection.auth_method != AuthMethod.DIRECT:
            raise InvalidRequest("Credentials can only be updated for direct authentication")
        new_credentials = _credentials_for(source_cls, AuthMethod.DIRECT, data["authentication"])
        validate_live(source_cls, credentials=new_credentials, config=source_connection.config)
    elif "config" in data and source_cls.needs_credentials() is False:
        validate_live(source_cls, credentials={}, config=source_connection.config)
    cron = None
    schedule = data.get("schedule")
    if schedule is not None and schedule.get("cron") is not None:
        cron = check_schedule(source_cls=source_cls, cron=schedule["cron"])
    # Only a pause caused by refused credentials ends with new ones; an operator's pause stays.
    needs_reauth = source_connection.status == SourceConnection.Status.NEEDS_REAUTH
    with transaction.atomic():
        if fields:
            source_connection.save(update_fields=[*fields, "modified_at"])
        sync = source_connection.sync
        if schedule is not None and "cron" in schedule:
            sync_set_schedule(sync=sync, cron=cron)
        # Empty credentials (a source that needs none) are nothing to store.
        if new_account is not None:
            from connections.auth_providers.services import store_provider_account

            store_provider_account(source_connection=source_connection, account=new_account)
        if new_credentials:
            _store_direct_credentials(source_connection, new_credentials)
        if (new_credentials or new_account is not None) and needs_reauth and sync.paused:
            sync_resume(sync=sync)
    return SourceConnection.objects.with_sync().get(pk=source_connection.pk)


def _store_direct_credentials(source_connection: SourceConnection, credentials: dict) -> None:
    credential = source_connection.credential or Credential(
        organization=source_connection.organization,
        short_name=source_connection.short_name,
        auth_method=AuthMethod.DIRECT,
    )
    credential.set_secrets(credentials)
    credential.save()
    from django.utils import timezone

    SourceConnection.objects.filter(pk=source_connection.pk).update(
        credential=credential, is_authenticated=True, authenticated_at=timezone.now()
    )


def source_connection_delete(*, source_connection: SourceConnection) -> None:
    """Cancel an active job, remove the connection's entities in chunks, then the connection."""
    from syncs.engine import delete_entities
    from syncs.models import Entity, SyncJob

    for job in SyncJob.objects.filter(
        source_connection=source_connection, status__in=SyncJob.ACTIVE_STATUSES
    ):
        if job.status != SyncJob.Status.CANCELLING:
            job.request_cancel()
    entities = Entity.objects.filter(source_connection=source_connection)
    while ids := list(entities.values_list("id", flat=True)[:5000]):
        delete_entities(ids)
    credential = source_connection.credential
    source_connection.delete()
    if credential is not None:
        credential.delete()


def credentials_rotate_keys(*, batch_size: int = 500) -> int:
    """Re-encrypt every credential with the newest key; returns how many were rewritten."""
    count, after = 0, None
    while rotated := _rotate_batch(after=after, batch_size=batch_size):
        count += len(rotated)
        after = rotated[-1].pk
    return count


@transaction.atomic
def _rotate_batch(*, after, batch_size: int) -> list[Credential]:
    from connections.crypto import rotate

    # Locked while rewritten, so a concurrent credentials update is not overwritten.
    batch = Credential.objects.select_for_update().order_by("pk")
    if after is not None:
        batch = batch.filter(pk__gt=after)
    credentials = list(batch[:batch_size])
    for credential in credentials:
        credential.encrypted_payload = rotate(credential.encrypted_payload)
    Credential.objects.bulk_update(credentials, ["encrypted_payload"])
    return credentials
