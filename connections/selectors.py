"""Read queries shared by the API, the pages and the admin."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Count, Max, Prefetch, Q

from connections.models import Collection, Organization, SourceConnection
from connections.sources.base import BaseSource


def collection_for_org(*, organization: Organization, readable_id: str) -> Collection | None:
    """The organization's collection with this readable id, or None.

    Every collection-scoped API request starts here, so one plain statement skips the ORM's
    query compiler (about a third of the lookup's cost).
    """
    organization_field = Collection._meta.get_field("organization")
    rows = Collection.objects.raw(
        f"SELECT * FROM {Collection._meta.db_table} "
        f"WHERE {organization_field.column} = %s AND readable_id = %s",
        [organization_field.get_db_prep_value(organization.pk, connection), readable_id],
    )
    return next(iter(rows), None)


def search_index_info() -> tuple[int, str]:
    """(vector_size, embedding_model_name) of the configured search index."""
    from syncs.search.embedders import embedder_info

    return embedder_info()


def collection_status(collection: Collection) -> str:
    """NEEDS SOURCE until an authenticated connection has synced; ERROR when every
    authenticated connection's last job failed; ACTIVE otherwise."""
    from syncs.models import SyncJob

    last_statuses = [
        source_connection.last_job.status if source_connection.last_job else None
        for source_connection in _connections_of(collection)
        if source_connection.is_authenticated
    ]
    synced = [status for status in last_statuses if status is not None]
    if not synced:
        return Collection.Status.NEEDS_SOURCE
    if all(status == SyncJob.Status.FAILED for status in last_statuses):
        return Collection.Status.ERROR
    if any(
        status in (SyncJob.Status.COMPLETED, SyncJob.Status.RUNNING, SyncJob.Status.CANCELLING)
        for status in synced
    ):
        return Collection.Status.ACTIVE
    return Collection.Status.NEEDS_SOURCE


def _connections_of(collection: Collection) -> list[SourceConnection]:
    cache = getattr(collection, "_prefetched_objects_cache", {})
    if "source_connections" in cache:
        return list(collection.source_connections.all())
    return list(collection.source_connections.select_related("sync__last_job"))


def source_connection_summaries(collection: Collection) -> list[dict[str, str]]:
    return [{"short_name": c.short_name, "name": c.name} for c in _connections_of(collection)]


def collections_with_connections(queryset):
    """Collections with their connections and last jobs prefetched (status without N+1)."""
    return queryset.prefetch_related(
        Prefetch(
            "source_connections",
            queryset=SourceConnection.objects.select_related("sync__last_job"),
        )
    )


def entity_summary(source_connection: SourceConnection) -> dict[str, Any]:
    from syncs.models import Entity

    rows = (
        Entity.objects.filter(source_connection=source_connection)
        .values("entity_type")
        .annotate(count=Count("id"), last_updated=Max("synced_at"))
        .order_by("entity_type")
    )
    by_type = {
        row["entity_type"]: {"count": row["count"], "last_updated": row["last_updated"]}
        for row in rows
    }
    return {"total_entities": sum(v["count"] for v in by_type.values()), "by_type": by_type}


def entity_counts(source_connection_ids: list) -> dict:
    from syncs.models import Entity

    rows = (
        Entity.objects.filter(source_connection_id__in=source_connection_ids)
        .values("source_connection_id")
        .annotate(count=Count("id"))
    )
    return {row["source_connection_id"]: row["count"] for row in rows}


def job_totals(sync_id) -> dict[str, int]:
    from syncs.models import SyncJob

    totals = SyncJob.objects.filter(sync_id=sync_id).aggregate(
        total_runs=Count("id"),
        successful_runs=Count("id", filter=Q(status=SyncJob.Status.COMPLETED)),
        failed_runs=Count("id", filter=Q(status=SyncJob.Status.FAILED)),
    )
    return totals


def source_auth_methods(source_cls: type[BaseSource]) -> list[str]:
    """The methods that can work on this server (a browser flow needs its OAuth app)."""
    from connections.oauth.providers import available_auth_methods

    return available_auth_methods(source_cls)


def source_as_dict(source_cls: type[BaseSource]) -> dict[str, Any]:
    """A source class's metadata in the shape of Airweave's ``Source``."""
    from connections.auth_providers.registry import supported_auth_providers

    class_name = source_cls.__name__
    return {
        "name": source_cls.name,
        "short_name": source_cls.short_name,
        "description": source_cls.description or None,
        "auth_methods": source_auth_methods(source_cls),
        "oauth_type": source_cls.oauth_type,
        "requires_byoc": source_cls.requires_byoc,
        "auth_config_class": f"{class_name}AuthConfig" if source_cls.auth_fields else None,
        "config_class": f"{class_name}Config" if source_cls.config_fields else None,
        "class_name": class_name,
        "output_entity_definitions": list(source_cls.entity_types),
        "labels": list(source_cls.labels),
        "supports_continuous": source_cls.supports_continuous,
        "federated_search": source_cls.federated_search,
        "supports_temporal_relevance": True,
        "supports_access_control": False,
        "rate_limit_level": source_cls.rate_limit_level,
        "feature_flag": None,
        "supports_browse_tree": False,
        "auth_fields": (
            {"fields": [f.to_api() for f in source_cls.auth_fields]}
            if source_cls.auth_fields
            else None
        ),
        "config_fields": {"fields": [f.to_api() for f in source_cls.config_fields]},
        "supported_auth_providers": supported_auth_providers(source_cls),
    }
