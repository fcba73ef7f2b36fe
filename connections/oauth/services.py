"""The OAuth browser flow of a source connection, from create to the claimed first sync.

1. ``oauth_connection_create`` stores a pending connection (and its sync, which the scheduler
   skips until it is authenticated) and starts an ``OAuthSession``: a one-time short link
   (``auth_url``), a state for the provider and a claim token for the API caller, all three kept
   only as hashes.
2. ``oauth_authorize`` turns the short link into the provider's authorize URL, once.
3. ``oauth_callback`` takes the provider's answer: single-use state, code exchange (with the PKCE
   verifier and the app that started the flow), a live check of the token against the source,
   the encrypted credential, the schedule resumed; it returns where to send the browser.
4. ``oauth_verify`` checks the claim token and starts the first sync.
``oauth_reinitiate`` starts a new session for a pending connection or one that needs
re-authentication; its callback keeps the entities already synced.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from social_core.exceptions import AuthCanceled, SocialAuthBaseException

from connections.crypto import decrypt_json, encrypt_json
from connections.exceptions import Conflict, Forbidden, InvalidRequest, NotFound, WeftError
from connections.models import (
    AuthMethod,
    Collection,
    Credential,
    OAuthSession,
    Organization,
    SourceConnection,
)
from connections.oauth.providers import OAuthProvider, provider_for
from connections.oauth.strategy import authorization_url, build_backend, exchange_code
from connections.oauth.tokens import expiry_from, token_payload

logger = logging.getLogger("weft.oauth")

AUTH_LINK_LIFETIME = timedelta(minutes=5)
# How long the user may take on the provider's consent screen after opening the link.
SESSION_LIFETIME = timedelta(minutes=30)
CALLBACK_PATH = "/api/source-connections/callback"


@dataclass(frozen=True)
class OAuthStart:
    """What the API caller gets back when a flow starts (the claim token only this once)."""

    auth_url: str
    auth_url_expires: datetime
    redirect_url: str
    claim_token: str


class CallbackError(WeftError):
    """A callback that cannot be tied to a session: no redirect URL is known, so JSON."""


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def callback_url() -> str:
    return settings.WEFT_BASE_URL + CALLBACK_PATH


def default_redirect_url(collection: Collection) -> str:
    return f"{settings.WEFT_BASE_URL}/collections/{collection.readable_id}/"


# --- Create and (re)start -------------------------------------------------------------------


def oauth_connection_create(
    *,
    organization: Organization,
    source_cls,
    collection: Collection,
    method: str,
    data: dict[str, Any],
) -> SourceConnection:
    """A pending connection with its sync, and the first authorization session."""
    from connections.services import clean_source_config, resolve_cron, source_connection_row
    from syncs.services import sync_create

    if data.get("sync_immediately"):
        raise InvalidRequest(
            "OAuth connections cannot use sync_immediately. Sync starts after OAuth callback."
        )
    provider = _provider_or_400(source_cls)
    client = _byoc_client(data.get("authentication")) if method == AuthMethod.OAUTH_BYOC else {}
    config = clean_source_config(source_cls, data.get("config"))
    cron = resolve_cron(source_cls, data.get("schedule"), timezone.now())
    with transaction.atomic():
        source_connection = source_connection_row(
            organization=organization,
            collection=collection,
            source_cls=source_cls,
            data=data,
            config=config,
            auth_method=method,
            is_authenticated=False,
        )
        # The scheduler skips unauthenticated connections; the callback restarts the clock.
        sync_create(source_connection=source_connection, cron=cron)
        start = _start_session(
            source_connection,
            provider=provider,
            client=client,
            redirect_url=data.get("redirect_url") or default_redirect_url(collection),
        )
    found = SourceConnection.objects.with_sync().get(pk=source_connection.pk)
    found.oauth_start = start
    return found


def oauth_reinitiate(
    *, source_connection: SourceConnection, redirect_url: str | None = None
) -> SourceConnection:
    """A fresh ``auth_url`` and claim token for a pending connection or one needing re-auth."""
    if source_connection.auth_method not in (AuthMethod.OAUTH_BROWSER, AuthMethod.OAUTH_BYOC):
        raise InvalidRequest(
            f"Only OAuth browser connections can be re-authorized; this one uses "
            f"{source_connection.auth_method}."
        )
    needs_reauth = source_connection.status == SourceConnection.Status.NEEDS_REAUTH
    if source_connection.is_authenticated and not needs_reauth:
        raise InvalidRequest("Connection is already authenticated")
    source_cls = source_connection.source_class
    provider = _provider_or_400(source_cls)
    previous = source_connection.oauth_sessions.first()
    client = _stored_client(source_connection, previous)
    if source_connection.auth_method == AuthMethod.OAUTH_BYOC and not client:
        raise InvalidRequest("The OAuth client of this connection is gone; create it again.")
    if source_connection.auth_method == AuthMethod.OAUTH_BROWSER:
        _provider_or_400(source_cls, platform=True)
    redirect = redirect_url or (previous.redirect_url if previous else "")
    with transaction.atomic():
        start = _start_session(
            source_connection,
            provider=provider,
            client=client,
            redirect_url=redirect or default_redirect_url(source_connection.collection),
        )
    found = SourceConnection.objects.with_sync().get(pk=source_connection.pk)
    found.oauth_start = start
    return found


def _provider_or_400(source_cls, *, platform: bool = False) -> OAuthProvider:
    from connections.oauth.providers import unavailable_reason

    provider = provider_for(source_cls)
    if provider is None:
        raise InvalidRequest(f"Source {source_cls.short_name} has no OAuth provider.")
    if platform and (reason := unavailable_reason(source_cls, AuthMethod.OAUTH_BROWSER)):
        raise InvalidRequest(reason)
    return provider


def _byoc_client(authentication: dict | None) -> dict[str, str]:
    authentication = authentication or {}
    if authentication.get("consumer_key"):
        raise InvalidRequest(
            'This source uses OAuth 2: pass "client_id" and "client_secret", not an OAuth 1 '
            "consumer key and secret."
        )
    return {
        "client_id": authentication["client_id"],
        "client_secret": authentication["client_secret"],
    }


def _stored_client(source_connection: SourceConnection, session: OAuthSession | None) -> dict:
    """The customer's own OAuth app (BYOC): kept with the token, or with the last session."""
    if source_connection.auth_method != AuthMethod.OAUTH_BYOC:
        return {}
    if source_connection.credential is not None:
        stored = source_connection.credential.secrets
        if stored.get("client_id") and stored.get("client_secret"):
            return {"client_id": stored["client_id"], "client_secret": stored["client_secret"]}
    overrides = _overrides(session) if session else {}
    return overrides.get("client", {})


def _start_session(
    source_connection: SourceConnection,
    *,
    provider: OAuthProvider,
    client: dict[str, str],
    redirect_url: str,
) -> OAuthStart:
    """Replace any session in flight with a new one; returns the caller's one-time values."""
    OAuthSession.objects.filter(
        source_connection=source_connection,
        status__in=(OAuthSession.Status.PENDING, OAuthSession.Status.IN_PROGRESS),
    ).update(status=OAuthSession.Status.CANCELLED)
    state, code, claim = (secrets.token_urlsafe(32) for _ in range(3))
    code = code[:16]
    backend = _backend(provider, source_connection, client)
    provider_url = authorization_url(backend, state)
    now = timezone.now()
    session = OAuthSession.objects.create(
        organization_id=source_connection.organization_id,
        source_connection=source_connection,
        provider=provider.name,
        auth_method=source_connection.auth_method,
        code_hash=_hash(code),
        code_expires_at=now + AUTH_LINK_LIFETIME,
        state_hash=_hash(state),
        expires_at=now + SESSION_LIFETIME,
        claim_token_hash=_hash(claim),
        redirect_url=redirect_url,
        encrypted_overrides=encrypt_json(
            {"session": backend.strategy.session, "authorize_url": provider_url, "client": client}
        ),
    )
    return OAuthStart(
        auth_url=f"{settings.WEFT_BASE_URL}/api/source-connections/authorize/{code}",
        auth_url_expires=session.code_expires_at,
        redirect_url=redirect_url,
        claim_token=claim,
    )


def _backend(
    provider: OAuthProvider,
    source_connection: SourceConnection,
    client: dict[str, str],
    *,
    session: dict | None = None,
    request_data: dict | None = None,
):
    app = client or provider.app
    return build_backend(
        provider,
        client_id=app.get("client_id", ""),
        client_secret=app.get("client_secret", ""),
        scopes=tuple(getattr(source_connection.source_class, "oauth_scopes", ())),
        redirect_uri=callback_url(),
        session=session,
        request_data=request_data,
    )


def _overrides(session: OAuthSession) -> dict[str, Any]:
    return decrypt_json(session.encrypted_overrides) if session.encrypted_overrides else {}


# --- The short link -------------------------------------------------------------------------


def oauth_authorize(*, code: str) -> str:
    """The provider's authorize URL behind a one-time, five-minute ``auth_url`` code."""
    now = timezone.now()
    # Conditional, so two clicks on the same link cannot both get through.
    used = OAuthSession.objects.filter(
        code_hash=_hash(code),
        code_used_at__isnull=True,
        code_expires_at__gt=now,
        status=OAuthSession.Status.PENDING,
    ).update(code_used_at=now)
    if used != 1:
        raise NotFound(
            "Authorization link expired or invalid: links work once, for 5 minutes. "
            "Ask for a new one with POST /source-connections/{id}/reinitiate-oauth."
        )
    session = OAuthSession.objects.get(code_hash=_hash(code))
    return _overrides(session)["authorize_url"]


# --- The callback ---------------------------------------------------------------------------


def oauth_callback(*, query: dict[str, str]) -> str:
    """Finish an authorization; returns where to send the browser (success or error).

    Raises ``CallbackError`` (JSON 4xx) only when the request names no session we know.
    """
    state = query.get("state") or ""
    if not state:
        raise CallbackError("Missing state parameter")
    session = (
        OAuthSession.objects.select_related("source_connection").filter(state_hash=_hash(state))
    ).first()
    if session is None:
        raise CallbackError("Unknown OAuth state: the authorization was not started here")
    # Claim the state: only one callback per session gets past this line.
    claimed = OAuthSession.objects.filter(
        pk=session.pk, status=OAuthSession.Status.PENDING, expires_at__gt=timezone.now()
    ).update(status=OAuthSession.Status.IN_PROGRESS)
    if claimed != 1:
        if session.status == OAuthSession.Status.PENDING:
            return _fail(session, "session_expired")
        # A replayed state changes nothing: the session it belonged to keeps its outcome.
        return _with_params(
            session.redirect_url, {"status": "error", "error": "state_already_used"}
        )
    session.status = OAuthSession.Status.IN_PROGRESS
    try:
        _complete(session, state, query)
    except _FlowError as error:
        logger.info("OAuth callback for session %s failed: %s", session.pk, error.code)
        return _fail(session, error.code, error.detail)
    return _with_params(
        session.redirect_url,
        {"status": "success", "source_connection_id": str(session.source_connection_id)},
    )


class _FlowError(Exception):
    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


def _complete(session: OAuthSession, state: str, query: dict[str, str]) -> None:
    from connections.services import validate_live

    source_connection = session.source_connection
    source_cls = source_connection.source_class
    provider = provider_for(source_cls)
    overrides = _overrides(session)
    client = overrides.get("client", {})
    backend = _backend(
        provider,
        source_connection,
        client,
        session=overrides.get("session"),
        request_data=query,
    )
    try:
        response = exchange_code(backend, state)
    except AuthCanceled:
        raise _FlowError("access_denied", "The authorization was declined.") from None
    except SocialAuthBaseException as error:
        if query.get("error"):
            raise _FlowError(_safe_code(query["error"])) from None
        raise _FlowError("token_exchange_failed", error.code) from None
    payload = token_payload(response, previous=client)
    try:
        validate_live(source_cls, credentials=payload, config=source_connection.config)
    except InvalidRequest as error:
        raise _FlowError("token_rejected", error.detail) from None
    _store(session, payload, expiry_from(response))


def _safe_code(value: str) -> str:
    return "".join(c for c in value if c.isalnum() or c in "_-")[:64] or "provider_error"


def _store(session: OAuthSession, payload: dict[str, Any], expires_at) -> None:
    """Keep the token and make the connection authenticated; a re-authorized connection's
    paused schedule resumes (its entities stay)."""
    from syncs.models import Sync
    from syncs.services import sync_resume

    source_connection = SourceConnection.objects.with_sync().get(pk=session.source_connection_id)
    reauth = source_connection.status == SourceConnection.Status.NEEDS_REAUTH
    now = timezone.now()
    with transaction.atomic():
        # Locked like a refresh, so a worker refreshing the old token cannot overwrite this one.
        credential = Credential.objects.select_for_update().filter(
            pk=source_connection.credential_id
        ).first() or Credential(
            organization_id=source_connection.organization_id,
            short_name=source_connection.short_name,
            auth_method=source_connection.auth_method,
        )
        credential.set_secrets(payload)
        credential.expires_at, credential.refreshed_at = expires_at, None
        credential.save()
        SourceConnection.objects.filter(pk=source_connection.pk).update(
            credential=credential, is_authenticated=True, authenticated_at=now, modified_at=now
        )
        sync = Sync.objects.get(source_connection=source_connection)
        if reauth and sync.paused:
            sync_resume(sync=sync)
        elif not sync.paused:
            # The schedule counts from now, not from when the flow started.
            Sync.objects.filter(pk=sync.pk).update(next_run=sync.compute_next_run())


def _fail(session: OAuthSession, code: str, detail: str = "") -> str:
    OAuthSession.objects.filter(
        pk=session.pk, status__in=(OAuthSession.Status.PENDING, OAuthSession.Status.IN_PROGRESS)
    ).update(
        status=OAuthSession.Status.FAILED, error=(f"{code}: {detail}" if detail else code)[:255]
    )
    return _with_params(session.redirect_url, {"status": "error", "error": code})


def _with_params(url: str, params: dict[str, str]) -> str:
    """``url`` with ``params`` added; its own query parameters are kept."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    return urlunsplit(parts._replace(query=urlencode([*query, *params.items()])))


# --- The claim ------------------------------------------------------------------------------


def oauth_verify(*, source_connection: SourceConnection, claim_token: str) -> SourceConnection:
    """Prove the API caller started this flow, then start the first sync."""
    from syncs.services import sync_job_enqueue

    session = source_connection.oauth_sessions.exclude(status=OAuthSession.Status.CANCELLED).first()
    if session is None or not session.claim_token_hash:
        raise InvalidRequest("No OAuth flow to verify for this source connection")
    if not hmac.compare_digest(_hash(claim_token), session.claim_token_hash):
        raise Forbidden("Invalid claim token")
    if session.status != OAuthSession.Status.IN_PROGRESS:
        raise InvalidRequest(f"OAuth flow is {session.status}, not waiting for a claim")
    claimed = OAuthSession.objects.filter(
        pk=session.pk, status=OAuthSession.Status.IN_PROGRESS
    ).update(status=OAuthSession.Status.COMPLETED, completed_at=timezone.now())
    if claimed == 1:
        try:
            with transaction.atomic():
                sync_job_enqueue(sync=source_connection.sync)
        except Conflict:
            pass  # a job is already pending or running: that one is the first sync
    return SourceConnection.objects.with_sync().get(pk=source_connection.pk)
