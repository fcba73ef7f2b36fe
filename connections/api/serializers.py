"""Request and response shapes for collections and sources (Airweave's public API)."""

from __future__ import annotations

from rest_framework import serializers

from connections.api.fields import StrictBooleanField, StrictCharField
from connections.models import READABLE_ID_PATTERN, Collection


class _FlagsSerializer(serializers.Serializer):
    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError("Must be an object.", code="dict_type")
        return super().to_internal_value(data)


class DestinationConfigSerializer(_FlagsSerializer):
    skip_vespa = StrictBooleanField(required=False, allow_null=True)
    target_destinations = serializers.ListField(
        child=StrictCharField(), required=False, allow_null=True
    )
    exclude_destinations = serializers.ListField(
        child=StrictCharField(), required=False, allow_null=True
    )


class HandlerConfigSerializer(_FlagsSerializer):
    enable_vector_handlers = StrictBooleanField(required=False, allow_null=True)
    enable_raw_data_handler = StrictBooleanField(required=False, allow_null=True)
    enable_postgres_handler = StrictBooleanField(required=False, allow_null=True)


class CursorConfigSerializer(_FlagsSerializer):
    skip_load = StrictBooleanField(required=False, allow_null=True)
    skip_updates = StrictBooleanField(required=False, allow_null=True)


class BehaviorConfigSerializer(_FlagsSerializer):
    skip_hash_comparison = StrictBooleanField(required=False, allow_null=True)
    replay_from_arf = StrictBooleanField(required=False, allow_null=True)
    skip_guardrails = StrictBooleanField(required=False, allow_null=True)


class SyncConfigSerializer(_FlagsSerializer):
    destinations = DestinationConfigSerializer(required=False, allow_null=True)
    handlers = HandlerConfigSerializer(required=False, allow_null=True)
    cursor = CursorConfigSerializer(required=False, allow_null=True)
    behavior = BehaviorConfigSerializer(required=False, allow_null=True)


class CollectionCreateSerializer(serializers.Serializer):
    name = StrictCharField(min_length=4, max_length=64)
    readable_id = StrictCharField(min_length=3, max_length=63, required=False, allow_null=True)
    sync_config = SyncConfigSerializer(required=False, allow_null=True)

    def validate_readable_id(self, value: str | None) -> str | None:
        import re

        if value is not None and not re.fullmatch(READABLE_ID_PATTERN, value):
            raise serializers.ValidationError(
                "Use lowercase letters, digits and single hyphens, "
                "not starting or ending with a hyphen.",
                code="string_pattern_mismatch",
            )
        return value


class CollectionUpdateSerializer(serializers.Serializer):
    name = StrictCharField(min_length=4, max_length=64, required=False)
    sync_config = SyncConfigSerializer(required=False, allow_null=True)


class CollectionListQuerySerializer(serializers.Serializer):
    # Bounded so the OFFSET always fits the database's integer type.
    skip = serializers.IntegerField(min_value=0, max_value=2**31 - 1, default=0)
    limit = serializers.IntegerField(min_value=1, max_value=1000, default=100)
    search = serializers.CharField(required=False, allow_blank=True, max_length=200)


class SourceConnectionSummarySerializer(serializers.Serializer):
    short_name = serializers.CharField()
    name = serializers.CharField()


class CollectionSerializer(serializers.ModelSerializer):
    organization_id = serializers.UUIDField(read_only=True)
    status = serializers.SerializerMethodField()
    vector_size = serializers.SerializerMethodField()
    embedding_model_name = serializers.SerializerMethodField()
    source_connection_summaries = serializers.SerializerMethodField()

    class Meta:
        model = Collection
        fields = [
            "id",
            "name",
            "readable_id",
            "organization_id",
            "created_at",
            "modified_at",
            "created_by_email",
            "modified_by_email",
            "status",
            "vector_size",
            "embedding_model_name",
            "source_connection_summaries",
            "sync_config",
        ]

    def get_status(self, obj: Collection) -> str:
        from connections.selectors import collection_status

        return collection_status(obj)

    def get_vector_size(self, obj: Collection) -> int:
        from connections.selectors import search_index_info

        return search_index_info()[0]

    def get_embedding_model_name(self, obj: Collection) -> str:
        from connections.selectors import search_index_info

        return search_index_info()[1]

    def get_source_connection_summaries(self, obj: Collection) -> list[dict[str, str]]:
        from connections.selectors import source_connection_summaries

        return source_connection_summaries(obj)


class FieldSerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField(allow_null=True)
    type = serializers.CharField()
    required = serializers.BooleanField()
    items_type = serializers.CharField(allow_null=True)
    feature_flag = serializers.CharField(allow_null=True)
    is_secret = serializers.BooleanField()
    enum_values = serializers.ListField(child=serializers.CharField(), allow_null=True)


class FieldsSerializer(serializers.Serializer):
    fields = FieldSerializer(many=True)


class SourceSerializer(serializers.Serializer):
    """Airweave's ``Source``, built from a source class's declared metadata."""

    name = serializers.CharField()
    short_name = serializers.CharField()
    description = serializers.CharField(allow_null=True)
    auth_methods = serializers.ListField(child=serializers.CharField())
    oauth_type = serializers.CharField(allow_null=True)
    requires_byoc = serializers.BooleanField()
    auth_config_class = serializers.CharField(allow_null=True)
    config_class = serializers.CharField(allow_null=True)
    class_name = serializers.CharField()
    output_entity_definitions = serializers.ListField(child=serializers.CharField())
    labels = serializers.ListField(child=serializers.CharField())
    supports_continuous = serializers.BooleanField()
    federated_search = serializers.BooleanField()
    supports_temporal_relevance = serializers.BooleanField()
    supports_access_control = serializers.BooleanField()
    rate_limit_level = serializers.CharField(allow_null=True)
    feature_flag = serializers.CharField(allow_null=True)
    supports_browse_tree = serializers.BooleanField()
    auth_fields = FieldsSerializer(allow_null=True)
    config_fields = FieldsSerializer()
    supported_auth_providers = serializers.ListField(child=serializers.CharField())

    def to_representation(self, source_cls):
        from connections.selectors import source_as_dict

        return super().to_representation(source_as_dict(source_cls))
