"""Pipedream Connect (https://pipedream.com/connect): accounts read through its REST API.

Weft obtains an access token with the OAuth client credentials grant
(``POST /v1/oauth/token``; tokens last an hour) and reads the account with
``GET /v1/connect/{project_id}/accounts/{account_id}?include_credentials=true`` in the
``x-pd-environment`` of the source connection. The account must belong to the configured
``external_user_id``, be of the source's app and not be dead. Pipedream returns credentials
only for accounts connected through the customer's own OAuth client (or in development).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from django.conf import settings

from connections.auth_providers.base import (
    AccountGone,
    BaseAuthProvider,
    ProviderCredentialsInvalid,
    raise_for_account,
    raise_for_api_credentials,
)
from connections.auth_providers.registry import register
from connections.sources.base import SourceField
from connections.sources.http import HttpClient, HttpError


@register
class PipedreamAuthProvider(BaseAuthProvider):
    short_name = "pipedream"
    name = "Pipedream"
    description = "Use the accounts your users connected through Pipedream Connect."
    auth_fields = (
        SourceField(
            "client_id",
            "Client ID",
            description="The Pipedream OAuth client's ID.",
            required=True,
        ),
        SourceField(
            "client_secret",
            "Client secret",
            description="The Pipedream OAuth client's secret.",
            required=True,
            is_secret=True,
        ),
    )
    config_fields = (
        SourceField(
            "project_id",
            "Project ID",
            description="The Pipedream project (proj_...).",
            required=True,
            pattern=r"proj_[A-Za-z0-9]+",
        ),
        SourceField(
            "account_id",
            "Account ID",
            description="The connected account (apn_...).",
            required=True,
            pattern=r"apn_[A-Za-z0-9]+",
        ),
        SourceField(
            "external_user_id",
            "External user ID",
            description="Your ID of the user who connected the account.",
            required=True,
        ),
        SourceField(
            "environment",
            "Environment",
            description="The Pipedream environment the account lives in.",
            default="production",
            enum_values=("development", "production"),
        ),
    )
    blocked_sources = frozenset(
        {"ctti", "github", "jira", "confluence", "bitbucket", "onenote", "word", "servicenow"}
    )
    settings_url = "https://pipedream.com/projects"
    client_id_field = "client_id"

    def _client(self) -> HttpClient:
        return self.http(base_url=settings.WEFT_PIPEDREAM_API_URL)

    def _token(self, http: HttpClient) -> str:
        body = {
            "grant_type": "client_credentials",
            "client_id": self.auth["client_id"],
            "client_secret": self.auth["client_secret"],
        }
        try:
            token = http.request("POST", "/v1/oauth/token", json=body).json().get("access_token")
        except HttpError as error:
            raise_for_api_credentials(error, provider=self.name)
        if not token:
            raise ProviderCredentialsInvalid("Pipedream answered without an access token.")
        return token

    def validate(self) -> None:
        with self._client() as http:
            self._token(http)

    def fetch_credentials(self, *, source_short_name: str, config: Mapping[str, Any]) -> dict:
        project, account_id = config["project_id"], config["account_id"]
        with self._client() as http:
            headers = {
                "Authorization": f"Bearer {self._token(http)}",
                "x-pd-environment": config.get("environment") or "production",
            }
            path = f"/v1/connect/{quote(project, safe='')}/accounts/{quote(account_id, safe='')}"
            try:
                response = http.get(path, params={"include_credentials": "true"}, headers=headers)
            except HttpError as error:
                raise_for_account(error, provider=self.name, account_id=account_id)
        body = response.json()
        # Older answers wrap the account in ``data``.
        account = body["data"] if isinstance(body.get("data"), dict) else body
        self._check_account(account, source_short_name, config)
        return dict(account.get("credentials") or {})

    def _check_account(
        self, account: dict[str, Any], source_short_name: str, config: Mapping[str, Any]
    ) -> None:
        label = f"The Pipedream account '{config['account_id']}'"
        if account.get("external_id") != config["external_user_id"]:
            raise AccountGone(
                f"{label} does not belong to external user '{config['external_user_id']}'."
            )
        if account.get("dead"):
            reason = account.get("error") or "it is no longer active"
            raise AccountGone(f"{label} is dead ({reason}); connect it again in Pipedream.")
        slug = (account.get("app") or {}).get("name_slug")
        if slug != self.app_slug(source_short_name):
            raise AccountGone(f"{label} is a {slug} account, not {source_short_name}.")
        if not account.get("credentials"):
            raise ProviderCredentialsInvalid(
                f"{label} has no credentials Pipedream will share: in production only "
                "accounts connected through your own OAuth client expose them."
            )
