"""Embedders: turn text into vectors for semantic search. Off unless ``WEFT_EMBEDDER`` names one.

An embedder registers itself with ``@register_embedder``; ``get_embedder()`` builds the
configured one once per process (loading a model takes seconds).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from syncs.search.embedders.base import Embedder

_REGISTRY: dict[str, type[Embedder]] = {}
_INSTANCES: dict[str, Embedder] = {}
NONE = "none"


def register_embedder(cls: type[Embedder]) -> type[Embedder]:
    _REGISTRY[cls.name] = cls
    return cls


def embedder_class(name: str) -> type[Embedder]:
    # Imported here so that the registry is filled whichever module asks first.
    from syncs.search.embedders import minilm  # noqa: F401

    if name not in _REGISTRY:
        known = ", ".join(sorted([NONE, *_REGISTRY]))
        raise ImproperlyConfigured(f"WEFT_EMBEDDER={name!r} is not an embedder ({known})")
    return _REGISTRY[name]


def get_embedder() -> Embedder | None:
    """The configured embedder, or None when semantic search is off."""
    name = settings.WEFT_EMBEDDER
    if name == NONE:
        return None
    if name not in _INSTANCES:
        _INSTANCES[name] = embedder_class(name)()
    return _INSTANCES[name]


def embedder_info() -> tuple[int, str]:
    """(vector_size, embedding_model_name) without loading a model."""
    name = settings.WEFT_EMBEDDER
    if name == NONE:
        return 0, NONE
    cls = embedder_class(name)
    return cls.dimensions, cls.model_name


__all__ = ["Embedder", "embedder_info", "get_embedder", "register_embedder"]
