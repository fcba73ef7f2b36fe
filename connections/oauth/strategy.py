"""A social-core strategy for source connections: no Django request, no user pipeline.

The browser that finishes an authorization is not the API caller that started it, so the
"session" social-core keeps (the state's transaction, the PKCE verifier) is a plain dict that
Weft stores encrypted in the ``OAuthSession`` row between the two requests. Settings come from
the provider registry (client id/secret, endpoints, scopes), never from Django's settings, so a
customer's own app (BYOC) and the platform app cannot be mixed up.
"""

from __future__ import annotations

import time
from typing import Any

from social_core.backends.oauth import BaseOAuth2
from social_core.strategy import BaseStrategy
from social_core.utils import url_add_parameters

from connections.oauth.providers import OAuthProvider


class SessionStrategy(BaseStrategy):
    def __init__(
        self,
        *,
        values: dict[str, Any],
        session: dict[str, Any] | None = None,
        request_data: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(storage=None)
        self.values = values
        self.session = dict(session or {})
        self.data = dict(request_data or {})

    def get_setting(self, name: str):
        return self.values[name]

    def get_request_data(self, merge: bool = True) -> dict[str, Any]:
        return self.data

    def session_get(self, name: str, default=None):
        return self.session.get(name, default)

    def session_set(self, name: str, value) -> None:
        self.session[name] = value

    def session_pop(self, name: str):
        return self.session.pop(name, None)

    def build_absolute_uri(self, path: str | None = None) -> str:
        return path or ""

    def request_host(self) -> str:
        return ""


def build_backend(
    provider: OAuthProvider,
    *,
    client_id: str,
    client_secret: str,
    scopes: tuple[str, ...] = (),
    redirect_uri: str,
    session: dict[str, Any] | None = None,
    request_data: dict[str, Any] | None = None,
) -> BaseOAuth2:
    values = provider.backend_settings(
        client_id=client_id, client_secret=client_secret, scopes=scopes
    )
    strategy = SessionStrategy(values=values, session=session, request_data=request_data)
    backend = provider.backend_class()(strategy, redirect_uri=redirect_uri)
    # The callback URL registered with the provider must match exactly: no redirect_state.
    backend.REDIRECT_STATE = False
    backend.STATE_PARAMETER = True
    return backend


def authorization_url(backend: BaseOAuth2, state: str) -> str:
    """The provider's authorize URL for ``state``, as ``BaseOAuth2.auth_url`` builds it.

    Weft makes and checks the state itself (hashed in the OAuthSession row, single use), so
    the backend's transaction is seeded with it instead of social-core's nonce storage.
    """
    backend.strategy.session_set(
        backend.transaction_key(state), {"state": state, "timestamp": int(time.time())}
    )
    params = backend.auth_params(state)  # PKCE backends keep the verifier in the session
    params.update(backend.get_scope_argument())
    params.update(backend.auth_extra_arguments())
    return url_add_parameters(backend.authorization_url(), params)


def exchange_code(backend: BaseOAuth2, state: str) -> dict[str, Any]:
    """Trade the callback's ``code`` for tokens, as ``BaseOAuth2.auth_complete`` does, minus
    the login pipeline. Raises social-core's exceptions on a provider error."""
    backend.process_error(backend.data)
    backend._oauth2_transaction = backend.strategy.session_get(backend.transaction_key(state))
    params = backend.auth_complete_params(state)
    data = json = query = None
    if backend.ACCESS_TOKEN_METHOD == "GET":
        query = params
    elif backend.ACCESS_TOKEN_PAYLOAD == "json":
        json = params
    else:
        data = params
    response = backend.request_access_token(
        backend.access_token_url(),
        data=data,
        json=json,
        params=query,
        headers=backend.auth_headers(),
        auth=backend.auth_complete_credentials(),
        method=backend.ACCESS_TOKEN_METHOD,
    )
    backend.get_access_token(response)
    return response
