from __future__ import annotations

from rest_framework import exceptions, permissions
from rest_framework.request import Request

from connections.models import ApiKey


class NoCredentials(exceptions.NotAuthenticated):
    default_detail = "No valid authentication provided"


class HasOrganization(permissions.BasePermission):
    """The request is authenticated by an organization's API key."""

    def has_permission(self, request: Request, view) -> bool:
        if isinstance(request.auth, ApiKey):
            return True
        raise NoCredentials()
