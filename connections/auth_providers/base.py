"""The contract every auth provider implements, and the failures it reports."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from connections.sources.base import SourceAuthError, SourceField
from connections.sources.http import HttpAuthError, HttpClient, HttpError, RetryPolicy


class AuthProviderError(SourceAuthError):
    """The provider refused to hand out credentials; ``error_category`` says why.

    A ``SourceAuthError``: the sync engine fails the job with that category, the connection
    needs re-authentication and its schedule is paused.
    """

    error_category: ClassVar[str] = "auth_provider_credentials_invalid"


class AccountGone(AuthProviderError):
    """The account at the provider no longer exists (or can no longer be used)."""

    error_category = "auth_provider_account_gone"


class ProviderCredentialsInvalid(AuthProviderError):
    """The provider refused the API credentials Weft holds for it."""

    error_category = "auth_provider_credentials_invalid"


# A provider call happens inside an API request or at the start of a sync: retry briefly.
PROVIDER_RETRY_POLICY = RetryPolicy(
    max_attempts=3, backoff_base=1.0, backoff_cap=10.0, max_wait=30.0
)
# Statuses meaning "no such account" (a malformed id is one no account can have).
ACCOUNT_GONE_STATUSES = frozenset({400, 404, 410})


class BaseAuthProvider:
    """A client for one auth provider's API.

    ``auth`` holds the organization's API credentials for the provider (validated against
    ``auth_fields``); ``fetch_credentials`` is called with a source connection's
    ``provider_config`` (validated against ``config_fields``) and returns the account's raw
    credential payload, which ``connections.auth_providers.mapping`` turns into what the
    source expects.
    """

    short_name: ClassVar[str]
    name: ClassVar[str]
    description: ClassVar[str] = ""
    auth_fields: ClassVar[tuple[SourceField, ...]] = ()
    config_fields: ClassVar[tuple[SourceField, ...]] = ()
    # Sources this provider cannot serve even though they accept ``auth_provider``.
    blocked_sources: ClassVar[frozenset[str]] = frozenset()
    # Where a user fixes an account or the API credentials (shown with needs_reauth).
    settings_url: ClassVar[str] = ""
    # The auth field shown masked in API responses (OAuth client credentials), if any.
    client_id_field: ClassVar[str | None] = None
    # The provider's app slug for a Weft source, where the two names differ.
    app_slugs: ClassVar[Mapping[str, str]] = {}

    def __init__(self, *, auth: Mapping[str, Any]) -> None:
        self.auth = dict(auth)

    @classmethod
    def app_slug(cls, source_short_name: str) -> str:
        return cls.app_slugs.get(source_short_name, source_short_name)

    @classmethod
    def masked_client_id(cls, auth: Mapping[str, Any]) -> str | None:
        """``cli_abc...wxyz``: the first 7 and last 4 characters, as Airweave shows it."""
        value = str(auth.get(cls.client_id_field) or "") if cls.client_id_field else ""
        if not value:
            return None
        if len(value) <= 11:
            return value[:3] + "..."
        return f"{value[:7]}...{value[-4:]}"

    def secret_values(self) -> list[str]:
        names = {f.name for f in self.auth_fields if f.is_secret}
        return [str(v) for k, v in self.auth.items() if k in names and v]

    def http(self, *, base_url: str, headers: Mapping[str, str] | None = None) -> HttpClient:
        """An HTTP client for the provider API that keeps the API credentials out of errors."""
        return HttpClient(
            base_url=base_url,
            headers=headers,
            policy=PROVIDER_RETRY_POLICY,
            secrets=self.secret_values(),
        )

    def validate(self) -> None:
        """Check the API credentials against the provider; raise ``AuthProviderError`` if not."""
        raise NotImplementedError

    def fetch_credentials(self, *, source_short_name: str, config: Mapping[str, Any]) -> dict:
        """The account's credential payload, as the provider names its fields."""
        raise NotImplementedError


def raise_for_account(error: HttpError, *, provider: str, account_id: str) -> None:
    """Turn an HTTP failure of an account lookup into the failure the engine understands."""
    if isinstance(error, HttpAuthError):
        raise ProviderCredentialsInvalid(
            f"{provider} refused the API credentials ({error}). Update the auth provider "
            "connection."
        ) from None
    if error.status_code in ACCOUNT_GONE_STATUSES:
        raise AccountGone(
            f"{provider} has no account '{account_id}' ({error}). Connect the account at "
            f"{provider} again and update the source connection's provider_config."
        ) from None
    raise error


def raise_for_api_credentials(error: HttpError, *, provider: str) -> None:
    if isinstance(error, HttpAuthError) or error.status_code in (400, 401, 403):
        raise ProviderCredentialsInvalid(
            f"{provider} refused the API credentials ({error})"
        ) from None
    raise error
