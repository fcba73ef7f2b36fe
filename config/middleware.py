"""Request ids, and the API's promise of JSON errors whatever goes wrong."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger("weft.api")

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def current_request_id() -> str:
    return _request_id.get()


class RequestIdLogFilter(logging.Filter):
    """Adds the current request id to every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


class RequestIdMiddleware:
    """Tags each request with an id (the caller's X-Request-ID if sane) and echoes it back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response


def is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def internal_error_response(request: HttpRequest) -> JsonResponse:
    request_id = getattr(request, "request_id", current_request_id())
    return JsonResponse({"detail": "Internal server error", "request_id": request_id}, status=500)


class ApiErrorMiddleware:
    """On /api/ paths: refuse oversized bodies with 413, and turn every non-JSON error into JSON."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_api_path(request.path):
            return self.get_response(request)
        too_large = self._body_too_large(request)
        if too_large is not None:
            return too_large
        response = self.get_response(request)
        rate_limit = getattr(request, "rate_limit", None)
        if rate_limit is not None:
            response["RateLimit-Limit"] = str(rate_limit.limit)
            response["RateLimit-Remaining"] = str(rate_limit.remaining)
            response["RateLimit-Reset"] = str(rate_limit.reset_seconds)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith(
            ("application/json", "text/event-stream")
        ):
            json_response = self._json_for(request, response)
            for header in ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"):
                if header in response:
                    json_response[header] = response[header]
            return json_response
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_api_path(request.path):
            return None
        request_id = getattr(request, "request_id", current_request_id())
        # The id is in the message itself, so it is found whatever the log format.
        logger.exception(
            "Unhandled error on %s %s (request_id=%s)", request.method, request.path, request_id
        )
        return internal_error_response(request)

    @staticmethod
    def _body_too_large(request: HttpRequest) -> JsonResponse | None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse({"detail": "Invalid Content-Length header"}, status=400)
        limit = settings.WEFT_MAX_BODY_BYTES
        if length > limit:
            return JsonResponse(
                {"detail": f"Request body too large. The limit is {limit // (1024 * 1024)} MB."},
                status=413,
            )
        return None

    @staticmethod
    def _json_for(request: HttpRequest, response: HttpResponse) -> JsonResponse:
        status = response.status_code
        if status == 404:
            return JsonResponse({"detail": "Not found"}, status=404)
        if status == 405:
            return JsonResponse({"detail": f"Method {request.method} not allowed"}, status=405)
        if status >= 500:
            return internal_error_response(request)
        return JsonResponse({"detail": response.reason_phrase or "Bad request"}, status=status)
