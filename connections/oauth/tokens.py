"""OAuth tokens over time: stored from a token response, refreshed before they expire.

A refresh runs inside a transaction holding the credential's row lock (``select_for_update``),
so two workers never refresh the same credential at once: the second one waits, then finds the
token the first one stored and uses it. A rotated refresh token replaces the old one in the same
write. A refusal by the provider raises ``SourceAuthError`` (the job fails with
``oauth_credentials_expired`` and the connection needs re-authentication).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from social_core.exceptions import AuthProviderError, SocialAuthBaseException

from connections.models import Credential
from connections.sources.base import SourceAuthError, SourceError

logger = logging.getLogger("weft.oauth")

# Refresh this long before the expiry, so a request never starts with a token about to lapse.
REFRESH_MARGIN = timedelta(minutes=5)
# Stored with the token, never sent to a source.
CLIENT_FIELDS = ("client_id", "client_secret")
TRANSIENT_CODES = frozenset({"timeout", "connection_failed", "unavailable", "rate_limited"})


def token_payload(response: dict[str, Any], *, previous: dict | None = None) -> dict[str, Any]:
    """What Weft keeps of a token response; a refresh without a new refresh token keeps the old."""
    previous = previous or {}
    payload = {
        "access_token": response["access_token"],
        "token_type": response.get("token_type") or "Bearer",
    }
    refresh = response.get("refresh_token") or previous.get("refresh_token")
    if refresh:
        payload["refresh_token"] = refresh
    scope = response.get("scope") or previous.get("scope")
    if scope:
        payload["scope"] = scope if isinstance(scope, str) else " ".join(scope)
    for name in CLIENT_FIELDS:
        if previous.get(name):
            payload[name] = previous[name]
    return payload


def expiry_from(response: dict[str, Any], now: datetime | None = None) -> datetime | None:
    try:
        seconds = int(response.get("expires_in") or 0)
    except (TypeError, ValueError):
        return None
    return (now or timezone.now()) + timedelta(seconds=seconds) if seconds > 0 else None


def source_credentials(credential: Credential, secrets: dict[str, Any]) -> dict[str, Any]:
    """The credentials a source sees: the token, its expiry, never the client secret."""
    values = {k: v for k, v in secrets.items() if k not in CLIENT_FIELDS}
    if credential.expires_at is not None:
        values["expires_at"] = credential.expires_at.isoformat()
    return values


def _expiring(credential: Credential) -> bool:
    expires = credential.expires_at
    return expires is not None and expires - REFRESH_MARGIN <= timezone.now()


def token_credentials(credential: Credential, *, force_refresh: bool = False) -> dict[str, Any]:
    """The current token of an OAuth credential, refreshed first when it is about to expire
    (or when ``force_refresh``: the source answered 401 with it). ``credential`` is updated in
    place, so the caller's copy always holds the token it was last given."""
    secrets = credential.secrets
    if not (force_refresh or _expiring(credential)) or not secrets.get("refresh_token"):
        return source_credentials(credential, secrets)
    with transaction.atomic():
        locked = Credential.objects.select_for_update().get(pk=credential.pk)
        current = locked.secrets
        replaced = current.get("access_token") != secrets.get("access_token")
        # Another worker refreshed while this one waited for the lock: use its token.
        if not (replaced and not _expiring(locked)):
            current = _refresh(locked, current)
    credential.encrypted_payload = locked.encrypted_payload
    credential.expires_at, credential.refreshed_at = locked.expires_at, locked.refreshed_at
    return source_credentials(locked, current)


def _refresh(credential: Credential, secrets: dict[str, Any]) -> dict[str, Any]:
    backend = refresh_backend(credential, secrets)
    if backend is None:
        # No OAuth app to refresh with (an injected token without a platform app): the source
        # finds out whether the token still works.
        return secrets
    try:
        response = backend.refresh_token(secrets["refresh_token"])
    except SocialAuthBaseException as error:
        raise _refresh_error(credential, error) from None
    now = timezone.now()
    payload = token_payload(response, previous=secrets)
    credential.set_secrets(payload)
    credential.expires_at, credential.refreshed_at = expiry_from(response, now), now
    credential.save(
        update_fields=["encrypted_payload", "expires_at", "refreshed_at", "modified_at"]
    )
    logger.info("Refreshed the OAuth token of credential %s", credential.pk)
    return payload


def _refresh_error(credential: Credential, error: SocialAuthBaseException) -> SourceError:
    provider = credential.short_name
    if isinstance(error, AuthProviderError) and error.code in TRANSIENT_CODES:
        return SourceError(
            f"Could not refresh the OAuth token: the {provider} provider is unavailable "
            f"({error.code}). The next run tries again."
        )
    reason = error.provider_code or error.code
    return SourceAuthError(
        f"The {provider} provider refused to refresh the OAuth token ({reason}): the "
        "authorization has expired or was revoked. Re-authenticate to resume syncing."
    )


def refresh_backend(credential: Credential, secrets: dict[str, Any]):
    """A backend set up with the app that issued the token: the customer's own (BYOC, kept
    with the token) or the platform app."""
    from connections.oauth.providers import provider_for
    from connections.oauth.strategy import build_backend
    from connections.sources.registry import get_source_class

    provider = provider_for(get_source_class(credential.short_name))
    if provider is None:
        return None
    client_id = secrets.get("client_id") or provider.app.get("client_id")
    client_secret = secrets.get("client_secret") or provider.app.get("client_secret")
    if not (client_id and client_secret):
        return None
    return build_backend(
        provider,
        client_id=client_id,
        client_secret=client_secret,
        redirect_uri=f"{settings.WEFT_BASE_URL}/api/source-connections/callback",
    )
