"""Composio (https://composio.dev): connected accounts read through its v3 REST API.

Requests carry the project API key in ``x-api-key``. The API key is checked by listing one
connected account (``GET /api/v3/connected_accounts?limit=1``); a source connection's
credentials come from ``GET /api/v3/connected_accounts/{account_id}``, whose ``state.val``
holds the account's tokens or keys. The account must be ``ACTIVE``, belong to the configured
``auth_config_id`` and be an account of the source's app (Composio's toolkit slug).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from django.conf import settings

from connections.auth_providers.base import (
    AccountGone,
    BaseAuthProvider,
    raise_for_account,
    raise_for_api_credentials,
)
from connections.auth_providers.registry import register
from connections.sources.base import SourceField
from connections.sources.http import HttpClient, HttpError


@register
class ComposioAuthProvider(BaseAuthProvider):
    short_name = "composio"
    name = "Composio"
    description = "Use the accounts your users connected in Composio."
    auth_fields = (
        SourceField(
            "api_key",
            "API key",
            description="The Composio project's API key.",
            required=True,
            is_secret=True,
        ),
    )
    config_fields = (
        SourceField(
            "auth_config_id",
            "Auth config ID",
            description="The auth config the account was connected with (ac_...).",
            required=True,
        ),
        SourceField(
            "account_id",
            "Account ID",
            description="The connected account's ID (ca_...).",
            required=True,
        ),
    )
    blocked_sources = frozenset({"postgresql", "ctti", "sharepoint", "document360", "slab"})
    settings_url = "https://platform.composio.dev"
    app_slugs = {
        "google_drive": "googledrive",
        "google_calendar": "googlecalendar",
        "outlook_mail": "outlook",
        "outlook_calendar": "outlook",
        "onedrive": "one_drive",
        "teams": "microsoft_teams",
    }

    def _client(self) -> HttpClient:
        return self.http(
            base_url=settings.WEFT_COMPOSIO_API_URL, headers={"x-api-key": self.auth["api_key"]}
        )

    def validate(self) -> None:
        with self._client() as http:
            try:
                http.get("/api/v3/connected_accounts", params={"limit": 1})
            except HttpError as error:
                raise_for_api_credentials(error, provider=self.name)

    def fetch_credentials(self, *, source_short_name: str, config: Mapping[str, Any]) -> dict:
        account_id = config["account_id"]
        with self._client() as http:
            try:
                account = http.get_json(f"/api/v3/connected_accounts/{quote(account_id, safe='')}")
            except HttpError as error:
                raise_for_account(error, provider=self.name, account_id=account_id)
        self._check_account(account, source_short_name, config)
        state = account.get("state") or {}
        return dict(state.get("val") or {})

    def _check_account(
        self, account: dict[str, Any], source_short_name: str, config: Mapping[str, Any]
    ) -> None:
        label = f"The Composio account '{config['account_id']}'"
        auth_config_id = (account.get("auth_config") or {}).get("id")
        if auth_config_id != config["auth_config_id"]:
            raise AccountGone(
                f"{label} does not belong to auth config '{config['auth_config_id']}'."
            )
        status = account.get("status")
        if account.get("is_disabled") or status != "ACTIVE":
            state = "disabled" if account.get("is_disabled") else str(status).lower()
            raise AccountGone(f"{label} is {state}; connect it again in Composio.")
        slug = (account.get("toolkit") or {}).get("slug")
        if slug != self.app_slug(source_short_name):
            raise AccountGone(f"{label} is a {slug} account, not {source_short_name}.")
