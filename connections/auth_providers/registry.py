"""The registry of auth providers: each provider module registers its class with ``@register``."""

from __future__ import annotations

from connections.auth_providers.base import BaseAuthProvider
from connections.sources.base import BaseSource

_PROVIDERS: dict[str, type[BaseAuthProvider]] = {}


def register(cls: type[BaseAuthProvider]) -> type[BaseAuthProvider]:
    if cls.short_name in _PROVIDERS:
        raise ValueError(f"Auth provider {cls.short_name!r} is registered twice")
    _PROVIDERS[cls.short_name] = cls
    return cls


def _providers() -> dict[str, type[BaseAuthProvider]]:
    from connections.auth_providers import composio, pipedream  # noqa: F401 - they register

    return _PROVIDERS


def all_providers() -> list[type[BaseAuthProvider]]:
    return sorted(_providers().values(), key=lambda cls: cls.name.lower())


def get_provider(short_name: str) -> type[BaseAuthProvider] | None:
    return _providers().get(short_name)


def supports(provider_cls: type[BaseAuthProvider], source_cls: type[BaseSource]) -> bool:
    """A source can use a provider when it accepts ``auth_provider`` and is not blocked by it."""
    return (
        "auth_provider" in source_cls.auth_methods
        and source_cls.short_name not in provider_cls.blocked_sources
    )


def supported_auth_providers(source_cls: type[BaseSource]) -> list[str]:
    return [p.short_name for p in all_providers() if supports(p, source_cls)]
