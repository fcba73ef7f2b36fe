"""DRF exception handling in the shapes of Airweave's documented API.

Validation errors are 422 ``{"detail": [{"loc": [...], "msg": ..., "type": ...}]}``; every other
client error is ``{"detail": "..."}`` with its status.
"""

from __future__ import annotations

import logging
from typing import Any

from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.middleware import current_request_id
from connections.exceptions import FieldInvalid, WeftError

logger = logging.getLogger("weft.api")


class RequestValidationError(exceptions.ValidationError):
    """A validation error that knows where the bad value came from (body, query, path)."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY

    def __init__(self, detail: Any, location: str = "body") -> None:
        super().__init__(detail)
        self.location = location


def field_error(field: str, message: str, *, location: str = "body", code: str = "value_error"):
    """A 422 for one named field."""
    return RequestValidationError({field: [exceptions.ErrorDetail(message, code=code)]}, location)


def flatten_errors(detail: Any, loc: list[str | int]) -> list[dict[str, Any]]:
    """Walk DRF's nested error structure into FastAPI-style ``{loc, msg, type}`` items."""
    if isinstance(detail, dict):
        items: list[dict[str, Any]] = []
        for key, value in detail.items():
            sub = loc if key == "non_field_errors" else [*loc, key]
            items.extend(flatten_errors(value, sub))
        return items
    if isinstance(detail, list):
        items = []
        for index, value in enumerate(detail):
            nested = isinstance(value, (dict, list))
            items.extend(flatten_errors(value, [*loc, index] if nested else loc))
        return items
    code = getattr(detail, "code", None) or "value_error"
    return [{"loc": loc, "msg": str(detail), "type": str(code)}]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, FieldInvalid):
        items = [
            {"loc": [exc.location, *path], "msg": message, "type": "value_error"}
            for path, message in exc.errors.items()
        ]
        return Response({"detail": items}, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
    if isinstance(exc, WeftError):
        return Response({"detail": exc.detail}, status=exc.status_code)
    if isinstance(exc, exceptions.ValidationError):
        location = getattr(exc, "location", "body")
        return Response(
            {"detail": flatten_errors(exc.detail, [location])},
            status=status.HTTP_422_UNPROCESSABLE_ENTITY,
        )
    if isinstance(exc, exceptions.ParseError):
        return Response(
            {"detail": [{"loc": ["body"], "msg": str(exc.detail), "type": "json_invalid"}]},
            status=status.HTTP_422_UNPROCESSABLE_ENTITY,
        )
    if isinstance(exc, exceptions.Throttled):
        wait = max(1, int(exc.wait or 1))
        response = Response(
            {"detail": f"Rate limit exceeded. Please retry after {wait} seconds."},
            status=status.HTTP_429_TOO_MANY_REQUESTS,
        )
        response["Retry-After"] = str(wait)
        return response
    response = drf_exception_handler(exc, context)
    if response is None:
        request_id = current_request_id()
        # The id is in the message itself, so it is found whatever the log format.
        logger.error("Unhandled API error (request_id=%s)", request_id, exc_info=exc)
        return Response(
            {"detail": "Internal server error", "request_id": request_id},
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    if isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"detail": str(response.data["detail"])}
    return response
