"""Request and response shapes for auth providers and auth-provider connections (Airweave's)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from rest_framework import serializers

from connections.api.fields import StrictCharField
from connections.api.source_connection_serializers import JSONObjectField
from connections.auth_providers.base import BaseAuthProvider
from connections.models import READABLE_ID_PATTERN, AuthProviderConnection

# Providers are code, not rows: a stable id and a fixed date stand in for database columns.
PROVIDERS_SINCE = datetime(2026, 1, 1, tzinfo=UTC)


def _readable_id(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(READABLE_ID_PATTERN, value):
        raise serializers.ValidationError(
            "Use lowercase letters, digits and single hyphens, not starting or ending with one."
        )
    return value


class AuthProviderConnectionCreateSerializer(serializers.Serializer):
    name = StrictCharField(min_length=1, max_length=255)
    readable_id = StrictCharField(min_length=3, max_length=100, required=False, allow_null=True)
    description = StrictCharField(required=False, allow_null=True, allow_blank=True)
    short_name = StrictCharField(max_length=100)
    auth_fields = JSONObjectField(required=False, allow_null=True)

    def validate_readable_id(self, value: str | None) -> str | None:
        return _readable_id(value)


class AuthProviderConnectionUpdateSerializer(serializers.Serializer):
    name = StrictCharField(min_length=1, max_length=255, required=False)
    description = StrictCharField(required=False, allow_null=True, allow_blank=True)
    auth_fields = JSONObjectField(required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError("Give at least one field to update.")
        return attrs


def _fields(fields) -> dict[str, Any]:
    return {"fields": [field.to_api() for field in fields]}


class AuthProviderSerializer(serializers.Serializer):
    """Airweave's ``AuthProvider``, built from a provider class."""

    def to_representation(self, provider_cls: type[BaseAuthProvider]) -> dict[str, Any]:
        stamp = serializers.DateTimeField().to_representation(PROVIDERS_SINCE)
        prefix = provider_cls.__name__.removesuffix("AuthProvider")
        return {
            "id": str(
                uuid.uuid5(uuid.NAMESPACE_URL, f"weft:auth-provider:{provider_cls.short_name}")
            ),
            "name": provider_cls.name,
            "short_name": provider_cls.short_name,
            "class_name": provider_cls.__name__,
            "auth_config_class": f"{prefix}AuthConfig",
            "config_class": f"{prefix}Config",
            "description": provider_cls.description or None,
            "organization_id": None,
            "created_at": stamp,
            "modified_at": stamp,
            "auth_fields": _fields(provider_cls.auth_fields),
            "config_fields": _fields(provider_cls.config_fields),
        }


class AuthProviderConnectionSerializer(serializers.Serializer):
    """Airweave's ``AuthProviderConnection``: never a secret, only a masked client id."""

    def to_representation(self, connection: AuthProviderConnection) -> dict[str, Any]:
        from connections.auth_providers.services import masked_client_id

        field = serializers.DateTimeField()
        return {
            "id": str(connection.id),
            "name": connection.name,
            "readable_id": connection.readable_id,
            "short_name": connection.short_name,
            "description": connection.description,
            "created_by_email": connection.created_by_email,
            "modified_by_email": connection.modified_by_email,
            "created_at": field.to_representation(connection.created_at),
            "modified_at": field.to_representation(connection.modified_at),
            "masked_client_id": masked_client_id(connection),
        }


class ListQuerySerializer(serializers.Serializer):
    skip = serializers.IntegerField(min_value=0, max_value=2**31 - 1, default=0)
    limit = serializers.IntegerField(min_value=1, max_value=1000, default=100)
