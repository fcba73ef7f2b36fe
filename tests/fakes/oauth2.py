"""A local fake OAuth 2 provider, written from RFC 6749 (authorization code grant, refresh),
RFC 7636 (PKCE S256) and RFC 7009 (revocation).

- ``GET /authorize``: an HTML consent page with Approve and Deny buttons (it checks the client
  id and that PKCE uses S256); the buttons post to ``/authorize/decision``, which redirects to
  the ``redirect_uri`` with ``code`` and ``state``, or with ``error=access_denied``.
- ``POST /token``: ``authorization_code`` (single-use code, same redirect URI, client secret in
  the body or HTTP Basic, ``code_verifier`` against the challenge) and ``refresh_token`` (with
  rotation: the old refresh token stops working). Errors are RFC 6749 JSON, ``invalid_grant``
  and friends.
- ``POST /revoke``: revokes an access or refresh token.
- ``GET /resource``: 200 with a valid ``Bearer`` access token, 401 otherwise.

Start it with the ``oauth_provider`` fixture; it listens on 127.0.0.1 on a free port.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.fakes.server import serving

CLIENT_ID, CLIENT_SECRET = "weft-platform-app", "platform-secret-value"
BYOC_ID, BYOC_SECRET = "customer-own-app", "customer-secret-value"


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    scope: str
    challenge: str | None


@dataclass
class FakeOAuthProvider:
    """The fake's state: registered clients, codes and tokens, and what it was asked."""

    clients: dict[str, str] = field(
        default_factory=lambda: {CLIENT_ID: CLIENT_SECRET, BYOC_ID: BYOC_SECRET}
    )
    expires_in: int | None = 3600
    codes: dict[str, Grant] = field(default_factory=dict)
    access_tokens: dict[str, float] = field(default_factory=dict)  # token -> expiry (epoch)
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # token -> client id
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    refresh_count: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    base_url: str = ""
    # Slows the refresh grant, so concurrent refreshes really overlap.
    refresh_delay: float = 0.0

    @property
    def authorize_url(self) -> str:
        return f"{self.base_url}/authorize"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/token"

    def token_is_valid(self, token: str) -> bool:
        with self.lock:
            expiry = self.access_tokens.get(token)
        return expiry is not None and expiry > time.time()

    def issue(self, client_id: str) -> dict[str, Any]:
        access, refresh = "at_" + secrets.token_hex(12), "rt_" + secrets.token_hex(12)
        lifetime = self.expires_in if self.expires_in is not None else 10**9
        self.access_tokens[access] = time.time() + lifetime
        self.refresh_tokens[refresh] = client_id
        body = {"access_token": access, "token_type": "bearer", "refresh_token": refresh}
        if self.expires_in is not None:
            body["expires_in"] = self.expires_in
        return body

    def expire_access_tokens(self) -> None:
        with self.lock:
            self.access_tokens = dict.fromkeys(self.access_tokens, 0.0)

    def revoke_everything(self) -> None:
        with self.lock:
            self.access_tokens.clear()
            self.refresh_tokens.clear()


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


CONSENT_PAGE = """<!doctype html>
<html><head><title>Fake provider: authorize</title></head><body>
<h1>Authorize {client}?</h1><p>It asks for: {scope}</p>
<form method="post" action="/authorize/decision">{hidden}
<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form></body></html>"""


class _Handler(BaseHTTPRequestHandler):
    fake: FakeOAuthProvider

    def log_message(self, *args: Any) -> None:
        pass

    # --- routing ----------------------------------------------------------------------------

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if parts.path == "/authorize":
            return self._authorize_page(query)
        if parts.path == "/resource":
            return self._resource()
        if parts.path == "/landing":  # stands for the app page a redirect_url points at
            return self._html(200, "<h1>Back in the app</h1>")
        self._json(404, {"error": "not_found"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode()
        if "json" in (self.headers.get("Content-Type") or ""):
            form = {k: str(v) for k, v in json.loads(raw or "{}").items()}
        else:
            form = {k: v[-1] for k, v in parse_qs(raw).items()}
        path = urlsplit(self.path).path
        if path == "/authorize/decision":
            return self._decision(form)
        if path == "/token":
            return self._token(form)
        if path == "/revoke":
            return self._revoke(form)
        self._json(404, {"error": "not_found"})

    # --- authorization ----------------------------------------------------------------------

    def _authorize_page(self, query: dict[str, str]) -> None:
        self.fake.authorize_requests.append(query)
        if query.get("client_id") not in self.fake.clients:
            return self._html(400, "<h1>Unknown client</h1>")
        if query.get("response_type") != "code":
            return self._html(400, "<h1>Unsupported response_type</h1>")
        if query.get("code_challenge") and query.get("code_challenge_method") != "S256":
            return self._html(400, "<h1>Only S256 PKCE is supported</h1>")
        keep = ("client_id", "redirect_uri", "state", "scope", "code_challenge")
        hidden = "".join(
            f'<input type="hidden" name="{k}" value="{html.escape(query.get(k, ""))}">'
            for k in keep
        )
        page = CONSENT_PAGE.format(
            client=html.escape(query["client_id"]),
            scope=html.escape(query.get("scope", "")),
            hidden=hidden,
        )
        self._html(200, page)

    def _decision(self, form: dict[str, str]) -> None:
        redirect_uri, state = form.get("redirect_uri", ""), form.get("state", "")
        if form.get("decision") != "approve":
            return self._redirect(redirect_uri, {"error": "access_denied", "state": state})
        code = "code_" + secrets.token_hex(8)
        with self.fake.lock:
            self.fake.codes[code] = Grant(
                form["client_id"], redirect_uri, form.get("scope", ""), form.get("code_challenge")
            )
        self._redirect(redirect_uri, {"code": code, "state": state})

    # --- tokens -----------------------------------------------------------------------------

    def _client(self, form: dict[str, str]) -> str | None:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        header = self.headers.get("Authorization") or ""
        if header.startswith("Basic "):
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        if client_id in self.fake.clients and self.fake.clients[client_id] == secret:
            return client_id
        return None

    def _token(self, form: dict[str, str]) -> None:
        self.fake.token_requests.append(form)
        client_id = self._client(form)
        if client_id is None:
            return self._json(401, {"error": "invalid_client"})
        grant = form.get("grant_type")
        if grant == "authorization_code":
            return self._code_grant(client_id, form)
        if grant == "refresh_token":
            return self._refresh_grant(client_id, form)
        self._json(400, {"error": "unsupported_grant_type"})

    def _code_grant(self, client_id: str, form: dict[str, str]) -> None:
        with self.fake.lock:
            grant = self.fake.codes.pop(form.get("code", ""), None)  # single use
        if grant is None or grant.client_id != client_id:
            return self._json(400, {"error": "invalid_grant"})
        if grant.redirect_uri != form.get("redirect_uri"):
            return self._json(400, {"error": "invalid_grant", "error_description": "redirect"})
        if grant.challenge and _s256(form.get("code_verifier", "")) != grant.challenge:
            return self._json(400, {"error": "invalid_grant", "error_description": "PKCE"})
        with self.fake.lock:
            body = self.fake.issue(client_id)
        self._json(200, {**body, "scope": grant.scope})

    def _refresh_grant(self, client_id: str, form: dict[str, str]) -> None:
        time.sleep(self.fake.refresh_delay)
        with self.fake.lock:
            owner = self.fake.refresh_tokens.pop(form.get("refresh_token", ""), None)
            if owner != client_id:
                return self._json(400, {"error": "invalid_grant"})
            self.fake.refresh_count += 1
            body = self.fake.issue(client_id)
        self._json(200, body)

    def _revoke(self, form: dict[str, str]) -> None:
        token = form.get("token", "")
        with self.fake.lock:
            self.fake.access_tokens.pop(token, None)
            self.fake.refresh_tokens.pop(token, None)
        self._json(200, {})

    def _resource(self) -> None:
        header = self.headers.get("Authorization") or ""
        if header.startswith("Bearer ") and self.fake.token_is_valid(header[7:]):
            return self._json(200, {"id": "user-1", "name": "Fake User"})
        self._json(401, {"error": "invalid_token"})

    # --- responses --------------------------------------------------------------------------

    def _redirect(self, url: str, params: dict[str, str]) -> None:
        joiner = "&" if "?" in url else "?"
        self.send_response(302)
        self.send_header("Location", f"{url}{joiner}{urlencode(params)}")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _html(self, status: int, body: str) -> None:
        self._send(status, body.encode(), "text/html; charset=utf-8")

    def _json(self, status: int, body: Any) -> None:
        self._send(status, json.dumps(body).encode(), "application/json")

    def _send(self, status: int, payload: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def serve_provider():
    """A context in which a fake OAuth 2 provider runs (``.base_url`` set)."""
    return serving(FakeOAuthProvider(), _Handler)


@pytest.fixture
def oauth_provider():
    """A running fake OAuth 2 provider."""
    with serve_provider() as fake:
        yield fake
