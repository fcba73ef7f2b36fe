"""Request and response shapes for source connections and their jobs (Airweave's API)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework import serializers

from connections.api.fields import StrictBooleanField, StrictCharField
from connections.models import SourceConnection
from syncs.models import SyncJob


class ScheduleConfigSerializer(serializers.Serializer):
    cron = StrictCharField(required=False, allow_null=True, max_length=100)
    continuous = StrictBooleanField(required=False, allow_null=True)
    cursor_field = StrictCharField(required=False, allow_null=True)

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError("Must be an object.", code="dict_type")
        return super().to_internal_value(data)


class JSONObjectField(serializers.JSONField):
    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError("Must be an object.", code="dict_type")
        return data


class AuthenticationField(JSONObjectField):
    """One of Airweave's authentication shapes; the method is detected from its keys."""

    ALLOWED = {
        "credentials",
        "access_token",
        "refresh_token",
        "expires_at",
        "provider_readable_id",
        "provider_config",
        "redirect_uri",
        "client_id",
        "client_secret",
        "consumer_key",
        "consumer_secret",
    }

    def to_internal_value(self, data):
        data = super().to_internal_value(data)
        unknown = sorted(set(data) - self.ALLOWED)
        if unknown:
            raise serializers.ValidationError(f"Unknown authentication field(s): {unknown}")
        if "credentials" in data and not isinstance(data["credentials"], dict):
            raise serializers.ValidationError({"credentials": "Must be an object."})
        self._check_client_pairs(data)
        if "access_token" in data:
            token = data["access_token"]
            if not isinstance(token, str) or not token.strip():
                raise serializers.ValidationError({"access_token": "Must be a non-blank string."})
            if data.get("expires_at") is not None:
                expires = serializers.DateTimeField().to_internal_value(data["expires_at"])
                if expires <= timezone.now():
                    raise serializers.ValidationError({"expires_at": "Must be in the future."})
        return data

    PAIRS = (("client_id", "client_secret"), ("consumer_key", "consumer_secret"))

    def _check_client_pairs(self, data: dict) -> None:
        """A custom OAuth app (BYOC) is both values of one pair: OAuth 2 or OAuth 1."""
        given = [pair for pair in self.PAIRS if any(data.get(name) is not None for name in pair)]
        if len(given) > 1:
            raise serializers.ValidationError(
                "Give client_id and client_secret (OAuth 2) or consumer_key and consumer_secret "
                "(OAuth 1), not both."
            )
        for pair in given:
            for name in pair:
                value = data.get(name)
                if not isinstance(value, str) or not value.strip():
                    other = pair[1] if name == pair[0] else pair[0]
                    raise serializers.ValidationError(
                        {name: f"Required with {other}; must be a non-blank string."}
                    )


class SourceConnectionCreateSerializer(serializers.Serializer):
    short_name = StrictCharField(max_length=64)
    readable_collection_id = StrictCharField(max_length=63)
    name = StrictCharField(min_length=4, max_length=42, required=False, allow_null=True)
    description = StrictCharField(max_length=255, required=False, allow_null=True, allow_blank=True)
    config = JSONObjectField(required=False, allow_null=True)
    schedule = ScheduleConfigSerializer(required=False, allow_null=True)
    sync_immediately = StrictBooleanField(required=False, allow_null=True)
    authentication = AuthenticationField(required=False, allow_null=True)
    redirect_url = serializers.URLField(required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("sync_immediately") is None:
            attrs.pop("sync_immediately", None)
        return attrs


class SourceConnectionUpdateSerializer(serializers.Serializer):
    name = StrictCharField(min_length=4, max_length=42, required=False)
    description = StrictCharField(max_length=255, required=False, allow_null=True, allow_blank=True)
    config = JSONObjectField(required=False)
    schedule = ScheduleConfigSerializer(required=False, allow_null=True)
    authentication = AuthenticationField(required=False, allow_null=True)

    def validate_authentication(self, value):
        # An auth-provider connection re-authenticates with a new account at its provider.
        if value is not None and "credentials" not in value and "provider_config" not in value:
            raise serializers.ValidationError(
                'Give new direct credentials {"credentials": {...}} or, for an auth-provider '
                'connection, a new account {"provider_config": {...}}.'
            )
        return value

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError("Give at least one field to update.")
        return attrs


class VerifyOAuthSerializer(serializers.Serializer):
    claim_token = StrictCharField(max_length=200)


class ReinitiateOAuthSerializer(serializers.Serializer):
    redirect_url = serializers.URLField(required=False, allow_null=True)


class ListQuerySerializer(serializers.Serializer):
    collection = serializers.CharField(required=False, max_length=63)
    skip = serializers.IntegerField(min_value=0, max_value=2**31 - 1, default=0)
    limit = serializers.IntegerField(min_value=1, max_value=1000, default=100)


class JobsQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=1000, default=100)


class RunQuerySerializer(serializers.Serializer):
    force_full_sync = serializers.BooleanField(default=False)


def job_details(job: SyncJob | None) -> dict[str, Any] | None:
    if job is None:
        return None
    return {
        "id": str(job.id),
        "status": job.status,
        "started_at": job.started_at,
        "completed_at": job.completed_at or job.failed_at,
        "duration_seconds": job.duration_seconds,
        "entities_inserted": job.entities_inserted,
        "entities_updated": job.entities_updated,
        "entities_deleted": job.entities_deleted,
        "entities_failed": job.entities_failed,
        "error": job.error,
        "error_category": job.error_category,
    }


class SyncJobDetailsSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(SyncJob.Status.choices)
    started_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    duration_seconds = serializers.FloatField(allow_null=True)
    entities_inserted = serializers.IntegerField()
    entities_updated = serializers.IntegerField()
    entities_deleted = serializers.IntegerField()
    entities_failed = serializers.IntegerField()
    error = serializers.CharField(allow_null=True)
    error_category = serializers.CharField(allow_null=True)


class SourceConnectionJobSerializer(serializers.Serializer):
    """Airweave's ``SourceConnectionJob``."""

    def to_representation(self, job: SyncJob) -> dict[str, Any]:
        return {
            **SyncJobDetailsSerializer(job_details(job)).data,
            "source_connection_id": str(job.source_connection_id),
            "error_details": job.error_details,
        }


ERROR_MESSAGES = {
    SyncJob.ErrorCategory.OAUTH_CREDENTIALS_EXPIRED: (
        "Your OAuth authorization has expired or been revoked. Re-authenticate to resume syncing."
    ),
    SyncJob.ErrorCategory.API_KEY_INVALID: (
        "The source rejected the credentials. Update them to resume syncing."
    ),
    SyncJob.ErrorCategory.AUTH_PROVIDER_ACCOUNT_GONE: (
        "The account at the auth provider no longer exists. Reconnect it to resume syncing."
    ),
    SyncJob.ErrorCategory.AUTH_PROVIDER_CREDENTIALS_INVALID: (
        "The auth provider refused the credentials. Check the provider connection."
    ),
}


def _oauth_start(sc: SourceConnection, field: serializers.DateTimeField) -> dict[str, Any]:
    """The one-time values of an OAuth flow, present only in the create/reinitiate response."""
    start = getattr(sc, "oauth_start", None)
    if start is None:
        return {
            "auth_url": None,
            "auth_url_expires": None,
            "redirect_url": None,
            "claim_token": None,
        }
    return {
        "auth_url": start.auth_url,
        "auth_url_expires": field.to_representation(start.auth_url_expires),
        "redirect_url": start.redirect_url,
        "claim_token": start.claim_token,
    }


def _auth_provider(sc: SourceConnection) -> dict[str, Any]:
    provider = sc.auth_provider_connection if sc.auth_provider_connection_id else None
    return {
        "provider_readable_id": provider and provider.readable_id,
        "provider_id": provider and str(provider.id),
    }


def _provider_reauth(sc: SourceConnection, failed_job: SyncJob | None) -> dict[str, Any]:
    """Where to fix it, when an auth provider refused the connection's credentials."""
    from connections.auth_providers.services import provider_settings_url

    if failed_job is None or failed_job.error_category not in AUTH_PROVIDER_CATEGORIES:
        return {"provider_settings_url": None, "provider_short_name": None}
    provider = sc.auth_provider_connection
    return {
        "provider_settings_url": provider_settings_url(sc),
        "provider_short_name": provider and provider.short_name,
    }


AUTH_PROVIDER_CATEGORIES = frozenset(
    {
        SyncJob.ErrorCategory.AUTH_PROVIDER_ACCOUNT_GONE,
        SyncJob.ErrorCategory.AUTH_PROVIDER_CREDENTIALS_INVALID,
    }
)


class SourceConnectionSerializer(serializers.Serializer):
    """Airweave's ``SourceConnection`` (detail)."""

    def to_representation(self, sc: SourceConnection) -> dict[str, Any]:
        from connections.selectors import entity_summary, job_totals

        sync = getattr(sc, "sync", None)
        last_job = sync.last_job if sync else None
        status = sc.status
        needs_reauth = status == SourceConnection.Status.NEEDS_REAUTH
        field = serializers.DateTimeField()
        return {
            "id": str(sc.id),
            "organization_id": str(sc.organization_id),
            "name": sc.name,
            "description": sc.description,
            "short_name": sc.short_name,
            "readable_collection_id": sc.collection.readable_id,
            "status": status,
            "created_at": field.to_representation(sc.created_at),
            "modified_at": field.to_representation(sc.modified_at),
            "auth": {
                "method": sc.auth_method,
                "authenticated": sc.is_authenticated,
                "authenticated_at": sc.authenticated_at
                and field.to_representation(sc.authenticated_at),
                "expires_at": sc.credential_id
                and sc.credential.expires_at
                and field.to_representation(sc.credential.expires_at),
                **_oauth_start(sc, field),
                **_auth_provider(sc),
            },
            "config": sc.config,
            "schedule": sync
            and {
                "cron": sync.cron,
                "next_run": sync.next_run and field.to_representation(sync.next_run),
                "continuous": False,
                "cursor_field": None,
                "cursor_value": None,
            },
            "sync": sync
            and {
                **job_totals(sync.id),
                "last_job": last_job and SyncJobDetailsSerializer(job_details(last_job)).data,
            },
            "sync_id": sync and str(sync.id),
            "entities": entity_summary(sc),
            "error_category": last_job.error_category if needs_reauth else None,
            "error_message": ERROR_MESSAGES.get(last_job.error_category) if needs_reauth else None,
            **_provider_reauth(sc, last_job if needs_reauth else None),
            "federated_search": False,
        }


class SourceConnectionListItemSerializer(serializers.Serializer):
    """Airweave's ``SourceConnectionListItem``; ``entity_count`` comes from the view."""

    def to_representation(self, sc: SourceConnection) -> dict[str, Any]:
        field = serializers.DateTimeField()
        return {
            "id": str(sc.id),
            "name": sc.name,
            "short_name": sc.short_name,
            "readable_collection_id": sc.collection.readable_id,
            "created_at": field.to_representation(sc.created_at),
            "modified_at": field.to_representation(sc.modified_at),
            "is_authenticated": sc.is_authenticated,
            "entity_count": self.context.get("entity_counts", {}).get(sc.id, 0),
            "federated_search": False,
            "auth_method": sc.auth_method,
            "status": sc.status,
        }
