"""A local fake of Pipedream Connect's REST API, written from Pipedream's public API reference.

It serves what the ``pipedream`` auth provider calls: ``POST /v1/oauth/token`` (the client
credentials grant; a wrong client is 401 ``invalid_client``) and
``GET /v1/connect/{project_id}/accounts/{account_id}`` with ``Authorization: Bearer <token>``
and ``x-pd-environment`` (development or production). Credentials are in the answer only with
``include_credentials=true``. An unknown project or account is 404. Tests read the request log.

Start it with the ``pipedream_server`` fixture, which also points Weft at it.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from tests.fakes.server import QuietHandler, serving

CLIENT_ID = "pd_client_0123456789abcdef"
CLIENT_SECRET = "pd_secret_fake_0123456789"
PROJECT_ID = "proj_fake123"
ENVIRONMENTS = ("development", "production")


@dataclass
class FakePipedream:
    clients: dict[str, str] = field(default_factory=lambda: {CLIENT_ID: CLIENT_SECRET})
    # (project_id, environment) -> account id -> account
    accounts: dict[tuple[str, str], dict[str, dict[str, Any]]] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path)
    base_url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_account(
        self,
        account_id: str,
        *,
        app: str,
        external_user_id: str = "user-1",
        credentials: dict[str, Any] | None = None,
        environment: str = "production",
        project_id: str = PROJECT_ID,
        dead: bool = False,
    ) -> dict[str, Any]:
        account = {
            "id": account_id,
            "name": None,
            "external_id": external_user_id,
            "healthy": not dead,
            "dead": dead,
            "app": {"id": f"app_{app}", "name_slug": app, "name": app.title(), "auth_type": "keys"},
            "created_at": "2026-11-01T00:00:00Z",
            "updated_at": "2026-11-01T00:00:00Z",
            "credentials": credentials or {},
            "expires_at": None,
            "error": "token revoked" if dead else None,
        }
        self.accounts.setdefault((project_id, environment), {})[account_id] = account
        return account

    def account_reads(self, account_id: str) -> int:
        suffix = f"/accounts/{account_id}"
        return sum(1 for method, path in self.requests if path.endswith(suffix))


class _Handler(QuietHandler):
    fake: FakePipedream

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        self._log("POST", path)
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if path != "/v1/oauth/token" or body.get("grant_type") != "client_credentials":
            self.send_json(400, {"error": "unsupported_grant_type"})
            return
        if self.fake.clients.get(body.get("client_id")) != body.get("client_secret"):
            description = "Client authentication failed"
            self.send_json(401, {"error": "invalid_client", "error_description": description})
            return
        token = secrets.token_urlsafe(16)
        self.fake.tokens.add(token)
        self.send_json(200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600})

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        path = unquote(url.path)
        self._log("GET", path)
        scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
        if scheme != "Bearer" or token not in self.fake.tokens:
            self.send_json(401, {"error": "invalid or expired token"})
            return
        environment = self.headers.get("x-pd-environment")
        if environment not in ENVIRONMENTS:
            self.send_json(400, {"error": "x-pd-environment must be development or production"})
            return
        parts = path.strip("/").split("/")
        if len(parts) != 5 or parts[:2] != ["v1", "connect"] or parts[3] != "accounts":
            self.send_json(404, {"error": "not found"})
            return
        account = self.fake.accounts.get((parts[2], environment), {}).get(parts[4])
        if account is None:
            self.send_json(404, {"error": "record not found"})
            return
        with_credentials = parse_qs(url.query).get("include_credentials") == ["true"]
        self.send_json(
            200, {**account, "credentials": account["credentials"] if with_credentials else None}
        )

    def _log(self, method: str, path: str) -> None:
        with self.fake.lock:
            self.fake.requests.append((method, path))


@pytest.fixture
def pipedream_server(settings):
    """A running fake Pipedream Connect that Weft's ``pipedream`` provider talks to."""
    with serving(FakePipedream(), _Handler) as fake:
        settings.WEFT_PIPEDREAM_API_URL = fake.base_url
        yield fake
