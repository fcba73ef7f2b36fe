"""Request and response shapes of search (Airweave's ``SearchV2Response`` and requests)."""

from __future__ import annotations

from datetime import datetime, tzinfo

from django.utils import timezone
from rest_framework import serializers

from connections.api.fields import StrictBooleanField, StrictIntegerField
from syncs.search.service import STRATEGIES, SearchHit

MAX_QUERY_CHARS = 2000


class _QueryField(serializers.CharField):
    def __init__(self, **kwargs) -> None:
        super().__init__(max_length=MAX_QUERY_CHARS, trim_whitespace=False, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError("Must be a string.", code="string_type")
        if not data.strip():
            raise serializers.ValidationError("The query must not be blank.", code="blank")
        return super().to_internal_value(data)


class _FilterField(serializers.JSONField):
    """Checked in depth by ``syncs.search.filters.parse_filter``, which names the condition."""


class ClassicSearchRequestSerializer(serializers.Serializer):
    query = _QueryField()
    filter = _FilterField(required=False, allow_null=True, default=None)
    limit = StrictIntegerField(min_value=1, max_value=1000, default=100)
    # Bounded so the OFFSET always fits the database's integer type.
    offset = StrictIntegerField(min_value=0, max_value=2**31 - 1, default=0)


class _StrategyField(serializers.ChoiceField):
    """``neural`` (Airweave's older name, which the ``airweave`` CLI still sends) is semantic."""

    def to_internal_value(self, data):
        return super().to_internal_value("semantic" if data == "neural" else data)


class InstantSearchRequestSerializer(ClassicSearchRequestSerializer):
    retrieval_strategy = _StrategyField(choices=STRATEGIES, default="hybrid")


class AgenticSearchRequestSerializer(serializers.Serializer):
    query = _QueryField()
    thinking = StrictBooleanField(required=False, allow_null=True, default=False)
    filter = _FilterField(required=False, allow_null=True, default=None)
    limit = StrictIntegerField(min_value=1, max_value=1000, required=False, allow_null=True)


class SearchBreadcrumbSerializer(serializers.Serializer):
    entity_id = serializers.CharField()
    name = serializers.CharField()
    entity_type = serializers.CharField()


class SearchSystemMetadataSerializer(serializers.Serializer):
    source_name = serializers.CharField()
    entity_type = serializers.CharField()
    sync_id = serializers.CharField(allow_null=True)
    sync_job_id = serializers.CharField(allow_null=True)
    chunk_index = serializers.IntegerField()
    original_entity_id = serializers.CharField()


class SearchAccessControlSerializer(serializers.Serializer):
    viewers = serializers.ListField(child=serializers.CharField(), allow_null=True)
    is_public = serializers.BooleanField(allow_null=True)


class SearchFreshnessSerializer(serializers.Serializer):
    synced_at = serializers.DateTimeField(help_text="When this entity was last written or seen.")
    last_sync_failed = serializers.BooleanField(
        help_text="Whether the last sync job of the entity's source connection failed."
    )


class SearchResultSerializer(serializers.Serializer):
    """One chunk as a ``SearchResult``, plus Weft's ``freshness``."""

    entity_id = serializers.CharField()
    name = serializers.CharField()
    relevance_score = serializers.FloatField()
    breadcrumbs = SearchBreadcrumbSerializer(many=True)
    created_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField(allow_null=True)
    textual_representation = serializers.CharField()
    airweave_system_metadata = SearchSystemMetadataSerializer()
    access = SearchAccessControlSerializer()
    web_url = serializers.CharField()
    url = serializers.CharField(allow_null=True)
    raw_source_fields = serializers.DictField()
    freshness = SearchFreshnessSerializer()

    def to_representation(self, hit: SearchHit) -> dict:
        # Built by hand: this runs for every result of every search, and DRF's field-by-field
        # machinery would cost more than the database query behind it.
        entity = hit.entity
        sync = hit.sync
        zone = timezone.get_current_timezone()
        return {
            "entity_id": hit.doc_id,
            "name": entity.name,
            "relevance_score": hit.score,
            "breadcrumbs": [_breadcrumb(crumb) for crumb in entity.breadcrumbs or []],
            "created_at": iso_datetime(entity.source_created_at, zone),
            "updated_at": iso_datetime(entity.source_updated_at, zone),
            "textual_representation": hit.chunk.text,
            "airweave_system_metadata": {
                "source_name": hit.source_connection.short_name,
                "entity_type": entity.entity_type,
                "sync_id": str(sync.pk) if sync else None,
                "sync_job_id": str(entity.last_sync_job_id) if entity.last_sync_job_id else None,
                "chunk_index": hit.chunk.chunk_index,
                "original_entity_id": entity.entity_id,
            },
            # Weft has no per-entity permissions: whoever can search the collection sees all.
            "access": {"viewers": None, "is_public": None},
            "web_url": entity.web_url or "",
            "url": entity.url or None,
            "raw_source_fields": entity.fields or {},
            "freshness": {
                "synced_at": iso_datetime(entity.synced_at, zone),
                "last_sync_failed": hit.last_sync_failed,
            },
        }


class SearchResponseSerializer(serializers.Serializer):
    results = SearchResultSerializer(many=True)


def _breadcrumb(crumb: dict) -> dict:
    return {
        "entity_id": str(crumb.get("entity_id", "")),
        "name": str(crumb.get("name", "")),
        "entity_type": str(crumb.get("entity_type", "")),
    }


def iso_datetime(value: datetime | None, zone: tzinfo | None = None) -> str | None:
    """As DRF's ``DateTimeField`` writes an aware datetime: ISO 8601 in ``zone`` (the current
    time zone by default), UTC as ``Z``. Without its per-value settings and time-zone lookups:
    a 100-result page writes 300 of them."""
    if not value:
        return None
    text = value.astimezone(zone or timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
