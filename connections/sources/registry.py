"""The registry of sources: each connector module registers its class with ``@register``."""

from __future__ import annotations

from django.conf import settings

from connections.sources.base import BaseSource

_SOURCES: dict[str, type[BaseSource]] = {}


def register(cls: type[BaseSource]) -> type[BaseSource]:
    if cls.short_name in _SOURCES:
        raise ValueError(f"Source {cls.short_name!r} is registered twice")
    _SOURCES[cls.short_name] = cls
    return cls


def _visible(cls: type[BaseSource]) -> bool:
    return settings.WEFT_INTERNAL_SOURCES or not cls.internal


def all_sources() -> list[type[BaseSource]]:
    return sorted((cls for cls in _SOURCES.values() if _visible(cls)), key=lambda c: c.name.lower())


def get_source(short_name: str) -> type[BaseSource] | None:
    cls = _SOURCES.get(short_name)
    return cls if cls is not None and _visible(cls) else None


def get_source_class(short_name: str) -> type[BaseSource] | None:
    """The class for a stored connection, even if its source is hidden from listings."""
    return _SOURCES.get(short_name)
