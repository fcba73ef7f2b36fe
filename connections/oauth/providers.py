"""The OAuth providers Weft knows: each maps to a social-core backend and its platform app.

A platform app is the OAuth app the operator registered with the provider for this server
(``WEFT_OAUTH_<PROVIDER>_CLIENT_ID`` / ``_SECRET``). Endpoints can be overridden per provider
(``WEFT_OAUTH_<PROVIDER>_AUTHORIZE_URL`` / ``_TOKEN_URL``): GitHub Enterprise, a Microsoft
tenant, or a local fake in tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string
from social_core.backends.oauth import BaseOAuth2, BaseOAuth2PKCE

from connections.models import AuthMethod


@dataclass(frozen=True)
class OAuthProvider:
    """One provider: its backend, whether it takes PKCE, and what its consent screen needs."""

    name: str
    label: str
    backend: str
    register_url: str
    pkce: bool = False
    # Sent with every authorization request (offline access, forced consent...).
    auth_extra: dict[str, str] = field(default_factory=dict)
    # Endpoints that differ from the backend's defaults (Slack's v2 app flow).
    authorize_url: str = ""
    token_url: str = ""

    def backend_class(self) -> type[BaseOAuth2]:
        cls = import_string(self.backend)
        if self.pkce and not issubclass(cls, BaseOAuth2PKCE):
            # social-core's PKCE mixin over the provider's own backend.
            cls = type(f"{cls.__name__}PKCE", (BaseOAuth2PKCE, cls), {})
        return cls

    @property
    def app(self) -> dict[str, str]:
        return settings.WEFT_OAUTH_APPS.get(self.name, {})

    @property
    def platform_app_configured(self) -> bool:
        return bool(self.app.get("client_id") and self.app.get("client_secret"))

    def backend_settings(self, *, client_id: str, client_secret: str, scopes: tuple[str, ...]):
        """What the backend reads through ``strategy.setting``: keys, endpoints, scopes."""
        values: dict[str, Any] = {
            "KEY": client_id,
            "SECRET": client_secret,
            "SCOPE": list(scopes),
            "IGNORE_DEFAULT_SCOPE": bool(scopes),
            "AUTH_EXTRA_ARGUMENTS": dict(self.auth_extra),
            "USE_PKCE": self.pkce,
            "PKCE_CODE_CHALLENGE_METHOD": "S256",
            "PKCE_CODE_VERIFIER_LENGTH": 64,
            "REQUESTS_TIMEOUT": 20,
        }
        authorize = self.app.get("authorize_url") or self.authorize_url
        token = self.app.get("token_url") or self.token_url
        if authorize:
            values["AUTHORIZATION_URL"] = authorize
        if token:
            values["ACCESS_TOKEN_URL"] = token
        return values


PROVIDERS: dict[str, OAuthProvider] = {
    p.name: p
    for p in (
        OAuthProvider(
            "github",
            "GitHub",
            "social_core.backends.github.GithubOAuth2",
            "https://github.com/settings/developers",
            pkce=True,
        ),
        OAuthProvider(
            "google",
            "Google",
            "social_core.backends.google.GoogleOAuth2",
            "https://console.cloud.google.com/apis/credentials",
            pkce=True,
            auth_extra={"access_type": "offline", "prompt": "consent"},
        ),
        OAuthProvider(
            "slack",
            "Slack",
            "social_core.backends.slack.SlackOAuth2",
            "https://api.slack.com/apps",
            authorize_url="https://slack.com/oauth/v2/authorize",
            token_url="https://slack.com/api/oauth.v2.access",
        ),
        OAuthProvider(
            "notion",
            "Notion",
            "connections.oauth.backends.NotionOAuth2",
            "https://www.notion.so/profile/integrations",
        ),
        OAuthProvider(
            "linear",
            "Linear",
            "connections.oauth.backends.LinearOAuth2",
            "https://linear.app/settings/api/applications/new",
            pkce=True,
        ),
        OAuthProvider(
            "atlassian",
            "Atlassian",
            "social_core.backends.atlassian.AtlassianOAuth2",
            "https://developer.atlassian.com/console/myapps/",
            auth_extra={"audience": "api.atlassian.com", "prompt": "consent"},
        ),
        OAuthProvider(
            "microsoft",
            "Microsoft",
            "social_core.backends.microsoft.MicrosoftOAuth2",
            "https://entra.microsoft.com/#view/Microsoft_AAD_RegisteredApps",
            pkce=True,
        ),
        OAuthProvider(
            "dropbox",
            "Dropbox",
            "social_core.backends.dropbox.DropboxOAuth2V2",
            "https://www.dropbox.com/developers/apps",
            pkce=True,
            auth_extra={"token_access_type": "offline"},
        ),
        OAuthProvider(
            "hubspot",
            "HubSpot",
            "social_core.backends.hubspot.HubSpotOAuth2",
            "https://developers.hubspot.com/docs/apps/legacy-apps/public-apps/overview",
        ),
    )
}

OAUTH_FLOW_METHODS = (AuthMethod.OAUTH_BROWSER, AuthMethod.OAUTH_BYOC)


def provider_for(source_cls) -> OAuthProvider | None:
    return PROVIDERS.get(getattr(source_cls, "oauth_provider", None) or "")


def available_auth_methods(source_cls) -> list[str]:
    """The methods that can work on this server: a browser flow needs a known provider, and
    the platform app only when the customer does not bring their own (BYOC)."""
    methods = list(source_cls.auth_methods)
    provider = provider_for(source_cls)
    if provider is None:
        return [m for m in methods if m not in OAUTH_FLOW_METHODS]
    if AuthMethod.OAUTH_BROWSER in methods and AuthMethod.OAUTH_BYOC not in methods:
        methods.append(AuthMethod.OAUTH_BYOC)
    if source_cls.requires_byoc or not provider.platform_app_configured:
        methods = [m for m in methods if m != AuthMethod.OAUTH_BROWSER]
    return methods


def unavailable_reason(source_cls, method: str) -> str | None:
    """Why a method the source declares cannot be used here, or None when it can."""
    if method not in OAUTH_FLOW_METHODS or method in available_auth_methods(source_cls):
        return None
    provider = provider_for(source_cls)
    if provider is None:
        return f"Source {source_cls.short_name} has no OAuth provider on this server."
    if source_cls.requires_byoc:
        return (
            f"Source {source_cls.short_name} requires custom OAuth client credentials: pass "
            '"client_id" and "client_secret" in "authentication".'
        )
    env = f"WEFT_OAUTH_{provider.name.upper()}"
    return (
        f"No {provider.label} OAuth app is configured on this server ({env}_CLIENT_ID and "
        f'{env}_CLIENT_SECRET). Pass your own app\'s "client_id" and "client_secret" in '
        '"authentication", or use another authentication method.'
    )
