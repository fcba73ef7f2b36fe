from __future__ import annotations

from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from connections import ratelimit
from connections.models import ApiKey


class OrganizationRateThrottle(BaseThrottle):
    """Counts every API-key request against its organization's per-minute budget."""

    def allow_request(self, request: Request, view) -> bool:
        if not isinstance(request.auth, ApiKey):
            return True
        from django.conf import settings

        if settings.WEFT_RATE_LIMIT_PER_MINUTE <= 0:
            return True
        result = ratelimit.hit(str(request.auth.organization_id))
        # Read by RateLimitHeadersMiddleware to put the headers on whatever response follows.
        request._request.rate_limit = result
        self._wait = result.reset_seconds
        return result.allowed

    def wait(self) -> float:
        return self._wait
