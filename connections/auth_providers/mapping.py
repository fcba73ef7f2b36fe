"""From a provider's credential payload to the credentials a Weft source reads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connections.auth_providers.base import AuthProviderError

# Where providers put an OAuth access token (Composio: ``access_token``; Pipedream:
# ``oauth_access_token``).
TOKEN_NAMES = ("access_token", "oauth_access_token")
# The names a provider may use for a field a Weft source declares, most specific first.
ALIASES: dict[str, tuple[str, ...]] = {
    "personal_access_token": ("personal_access_token", *TOKEN_NAMES),
    "api_key": ("api_key", "generic_api_key", *TOKEN_NAMES),
    "access_token": TOKEN_NAMES,
}


def _first(payload: Mapping[str, Any], names: tuple[str, ...]) -> Any:
    return next((payload[name] for name in names if payload.get(name)), None)


def source_credentials(source_cls, payload: Mapping[str, Any], *, provider: str) -> dict:
    """Only the fields the source reads, under its own names; the rest of the payload stays out.

    An OAuth access token is passed as ``access_token`` too, which sources that accept OAuth
    read. A required field with no value in the payload means the account is of another kind
    (an API key where a token is needed...): the provider cannot serve this source.
    """
    credentials: dict[str, Any] = {}
    token = _first(payload, TOKEN_NAMES)
    if token:
        credentials["access_token"] = token
    missing = []
    for field in source_cls.auth_fields:
        value = _first(payload, ALIASES.get(field.name, (field.name,)))
        if value:
            credentials[field.name] = value
        elif field.required:
            missing.append(field.name)
    if missing or not credentials:
        available = ", ".join(sorted(k for k, v in payload.items() if v)) or "none"
        raise AuthProviderError(
            f"The {provider} account has no {' or '.join(missing) or 'access token'} for "
            f"{source_cls.name} (its credential fields: {available})."
        )
    return credentials
