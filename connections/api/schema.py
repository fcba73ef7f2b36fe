"""drf-spectacular extensions: the API-key security scheme and the shared error shapes."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers


class ApiKeySchemeExtension(OpenApiAuthenticationExtension):
    target_class = "connections.api.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "x-api-key"}


_detail = inline_serializer("ErrorResponse", fields={"detail": serializers.CharField()})
_validation_item = inline_serializer(
    "ValidationErrorDetail",
    fields={
        "loc": serializers.ListField(child=serializers.CharField()),
        "msg": serializers.CharField(),
        "type": serializers.CharField(),
    },
)
_validation = inline_serializer(
    "ValidationErrorResponse", fields={"detail": _validation_item.__class__(many=True)}
)


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """OpenAPI responses for the error statuses an endpoint can answer with."""
    texts = {
        400: "Bad request",
        401: "No valid authentication provided",
        403: "Invalid or expired API key",
        404: "Not found",
        409: "Conflict with the current state",
        422: "Validation error",
        429: "Rate limit exceeded",
    }
    responses: dict[int, OpenApiResponse] = {}
    for code in (401, 403, 429, *codes):
        body = _validation if code == 422 else _detail
        responses[code] = OpenApiResponse(body, description=texts.get(code, "Error"))
    return responses


def strip_trailing_slashes(result: dict, generator, request, public: bool) -> dict:
    """Document Airweave's paths (``/collections``); every route also accepts a trailing slash."""
    result["paths"] = {path.rstrip("/") or "/": item for path, item in result["paths"].items()}
    return result
