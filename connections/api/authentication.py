"""API-key authentication: ``x-api-key: KEY`` or ``Authorization: Bearer KEY``."""

from __future__ import annotations

from rest_framework import authentication, exceptions
from rest_framework.request import Request

from connections.api import key_cache


class InvalidApiKey(exceptions.PermissionDenied):
    default_detail = "Invalid or expired API key"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Authenticates a request as the organization that owns the API key.

    ``request.user`` stays anonymous (an API key is not a person); ``request.auth`` is the key.
    """

    keyword = "Bearer"

    def authenticate(self, request: Request):
        plaintext = self._key_from(request)
        if plaintext is None:
            return None
        key = key_cache.find_usable(plaintext)
        if key is None:
            raise InvalidApiKey()
        key.touch()
        request._request.organization = key.organization
        return (None, key)

    def authenticate_header(self, request: Request) -> str:
        return "ApiKey"

    def _key_from(self, request: Request) -> str | None:
        header_key = request.headers.get("x-api-key", "").strip()
        if header_key:
            return header_key
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == self.keyword.lower() and value.strip():
            return value.strip()
        return None
