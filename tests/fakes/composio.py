"""A local fake of Composio's v3 REST API, written from Composio's public API reference.

It serves what the ``composio`` auth provider calls: ``GET /api/v3/connected_accounts``
(list, paginated by ``limit``) and ``GET /api/v3/connected_accounts/{nanoid}``, both
authenticated by the ``x-api-key`` header. A bad key is 401, an unknown account 404, both
with Composio's error body ``{"error": {"message", "code", "slug", "status"}}``. Accounts carry
``toolkit.slug``, ``auth_config.id``, ``status`` and ``state.val`` (the credentials). Tests can
inject failures and read the request log.

Start it with the ``composio_server`` fixture, which also points Weft at it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from tests.fakes.server import QuietHandler, serving

VALID_API_KEY = "comp_fake_valid_api_key_0123456789"
ACCOUNTS_PATH = "/api/v3/connected_accounts"


@dataclass
class FakeComposio:
    api_keys: set[str] = field(default_factory=lambda: {VALID_API_KEY})
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path)
    injected: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    base_url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_account(
        self,
        account_id: str,
        *,
        toolkit: str = "github",
        auth_config_id: str = "ac_github",
        credentials: dict[str, Any] | None = None,
        status: str = "ACTIVE",
    ) -> dict[str, Any]:
        self.accounts[account_id] = {
            "id": account_id,
            "toolkit": {"slug": toolkit},
            "auth_config": {
                "id": auth_config_id,
                "auth_scheme": "OAUTH2",
                "is_composio_managed": False,
                "is_disabled": False,
            },
            "status": status,
            "status_reason": None,
            "is_disabled": False,
            "created_at": "2026-11-01T00:00:00Z",
            "updated_at": "2026-11-01T00:00:00Z",
            "state": {"authScheme": "OAUTH2", "val": {"status": status, **(credentials or {})}},
        }
        return self.accounts[account_id]

    def fail_next(self, status: int, times: int = 1, headers: dict[str, str] | None = None) -> None:
        self.injected.extend([(status, headers or {})] * times)

    def account_reads(self, account_id: str) -> int:
        return self.requests.count(("GET", f"{ACCOUNTS_PATH}/{account_id}"))


def _error(status: int, message: str, slug: str) -> dict[str, Any]:
    return {"error": {"message": message, "code": status, "slug": slug, "status": status}}


class _Handler(QuietHandler):
    fake: FakeComposio

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        path, query = unquote(url.path), parse_qs(url.query)
        with self.fake.lock:
            self.fake.requests.append(("GET", path))
            injected = self.fake.injected.pop(0) if self.fake.injected else None
        if injected:
            status, headers = injected
            self.send_json(status, _error(status, "Injected failure", "Injected"), headers)
            return
        if self.headers.get("x-api-key") not in self.fake.api_keys:
            self.send_json(401, _error(401, "Invalid API key", "Auth_InvalidApiKey"))
            return
        if path == ACCOUNTS_PATH:
            limit = int(query.get("limit", ["20"])[0])
            items = list(self.fake.accounts.values())
            self.send_json(200, {"items": items[:limit], "next_cursor": None, "total_pages": 1})
            return
        if path.startswith(ACCOUNTS_PATH + "/"):
            account = self.fake.accounts.get(path.removeprefix(ACCOUNTS_PATH + "/"))
            if account is None:
                message = "Connected account not found"
                self.send_json(404, _error(404, message, "ConnectedAccount_NotFound"))
                return
            self.send_json(200, account)
            return
        self.send_json(404, _error(404, "Not found", "NotFound"))


@pytest.fixture
def composio_server(settings):
    """A running fake Composio that Weft's ``composio`` provider talks to."""
    with serving(FakeComposio(), _Handler) as fake:
        settings.WEFT_COMPOSIO_API_URL = fake.base_url
        yield fake
