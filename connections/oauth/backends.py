"""social-core backends for providers social-core does not ship, written from their docs."""

from __future__ import annotations

from social_core.backends.oauth import BaseOAuth2, BaseOAuth2PKCE


class NotionOAuth2(BaseOAuth2):
    """Notion public integrations (https://developers.notion.com/docs/authorization).

    The token endpoint takes HTTP Basic client authentication and a JSON body; the authorize
    URL needs ``owner=user``. Notion has no scopes: access is chosen page by page on consent.
    """

    name = "notion"
    AUTHORIZATION_URL = "https://api.notion.com/v1/oauth/authorize"
    ACCESS_TOKEN_URL = "https://api.notion.com/v1/oauth/token"
    ACCESS_TOKEN_METHOD = "POST"
    ACCESS_TOKEN_PAYLOAD = "json"
    USE_BASIC_AUTH = True
    REDIRECT_STATE = False
    STATE_PARAMETER = True
    ID_KEY = "bot_id"

    def auth_extra_arguments(self) -> dict[str, str]:
        return {"owner": "user", **super().auth_extra_arguments()}

    def refresh_token_auth(self):
        return self.get_key_and_secret()


class LinearOAuth2(BaseOAuth2PKCE):
    """Linear OAuth 2 apps (https://linear.app/developers/oauth-2-0-authentication).

    Scopes are comma-separated (``read``); PKCE S256 is supported; access tokens expire and
    come with a refresh token.
    """

    name = "linear"
    AUTHORIZATION_URL = "https://linear.app/oauth/authorize"
    ACCESS_TOKEN_URL = "https://api.linear.app/oauth/token"
    REVOKE_TOKEN_URL = "https://api.linear.app/oauth/revoke"
    ACCESS_TOKEN_METHOD = "POST"
    SCOPE_SEPARATOR = ","
    REDIRECT_STATE = False
    STATE_PARAMETER = True
    DEFAULT_SCOPE = ["read"]
