"""Read queries shared by the API, the pages and the admin."""

from __future__ import annotations

from typing import Any

from connections.models import Collection
from connections.sources.base import BaseSource


def search_index_info() -> tuple[int, str]:
    """(vector_size, embedding_model_name) of the configured search index."""
    return 0, "none"


def collection_status(collection: Collection) -> str:
    return Collection.Status.NEEDS_SOURCE


def source_connection_summaries(collection: Collection) -> list[dict[str, str]]:
    return []


def source_auth_methods(source_cls: type[BaseSource]) -> list[str]:
    return list(source_cls.auth_methods)


def source_as_dict(source_cls: type[BaseSource]) -> dict[str, Any]:
    """A source class's metadata in the shape of Airweave's ``Source``."""
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
        "supported_auth_providers": [],
    }
