"""HTTP endpoints for collections, sources and health."""

from __future__ import annotations

import re
from typing import Any

from django.db import connection as db_connection
from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_errors import RequestValidationError
from connections import services
from connections.api.schema import error_responses
from connections.api.serializers import (
    CollectionCreateSerializer,
    CollectionListQuerySerializer,
    CollectionSerializer,
    CollectionUpdateSerializer,
    SourceSerializer,
)
from connections.exceptions import NotFound
from connections.models import READABLE_ID_PATTERN, Collection
from connections.selectors import collection_for_org, collections_with_connections
from connections.sources.registry import all_sources, get_source


def parse(serializer_class: type[serializers.Serializer], data: Any, location: str) -> dict:
    """Validate request data; a failure is a 422 whose ``loc`` starts with ``location``."""
    if location == "body" and not isinstance(data, dict):
        raise RequestValidationError(
            {"non_field_errors": ["The request body must be a JSON object."]}, location
        )
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise RequestValidationError(serializer.errors, location)
    return serializer.validated_data


def query_params(request: Request) -> dict[str, str]:
    return {key: request.query_params.get(key) for key in request.query_params}


class OrgScopedView(APIView):
    """Base for endpoints that act for the organization behind the API key."""

    @property
    def organization(self):
        return self.request._request.organization

    def get_collection(self, readable_id: str) -> Collection:
        # A value no collection can have (a NUL byte would even make PostgreSQL fail) is a 404.
        if not re.fullmatch(READABLE_ID_PATTERN, readable_id):
            raise NotFound("Collection not found")
        collection = collection_for_org(organization=self.organization, readable_id=readable_id)
        if collection is None:
            raise NotFound("Collection not found")
        return collection


class CollectionListView(OrgScopedView):
    @extend_schema(
        operation_id="list_collections",
        parameters=[CollectionListQuerySerializer],
        responses={200: CollectionSerializer(many=True), **error_responses(422)},
        tags=["Collections"],
    )
    def get(self, request: Request) -> Response:
        params = parse(CollectionListQuerySerializer, query_params(request), "query")
        collections = collections_with_connections(Collection.objects.for_org(self.organization))
        if params.get("search"):
            term = params["search"]
            collections = collections.filter(
                Q(name__icontains=term) | Q(readable_id__icontains=term)
            )
        page = collections.order_by("-created_at")[
            params["skip"] : params["skip"] + params["limit"]
        ]
        return Response(CollectionSerializer(page, many=True).data)

    @extend_schema(
        operation_id="create_collection",
        request=CollectionCreateSerializer,
        responses={200: CollectionSerializer, **error_responses(409, 422)},
        tags=["Collections"],
    )
    def post(self, request: Request) -> Response:
        data = parse(CollectionCreateSerializer, request.data, "body")
        collection = services.collection_create(organization=self.organization, **data)
        return Response(CollectionSerializer(collection).data)


class CollectionDetailView(OrgScopedView):
    @extend_schema(
        operation_id="get_collection",
        responses={200: CollectionSerializer, **error_responses(404)},
        tags=["Collections"],
    )
    def get(self, request: Request, readable_id: str) -> Response:
        return Response(CollectionSerializer(self.get_collection(readable_id)).data)

    @extend_schema(
        operation_id="update_collection",
        request=CollectionUpdateSerializer,
        responses={200: CollectionSerializer, **error_responses(404, 422)},
        tags=["Collections"],
    )
    def patch(self, request: Request, readable_id: str) -> Response:
        collection = self.get_collection(readable_id)
        data = parse(CollectionUpdateSerializer, request.data, "body")
        collection = services.collection_update(collection=collection, data=data)
        return Response(CollectionSerializer(collection).data)

    @extend_schema(
        operation_id="delete_collection",
        responses={200: CollectionSerializer, **error_responses(404)},
        tags=["Collections"],
    )
    def delete(self, request: Request, readable_id: str) -> Response:
        collection = self.get_collection(readable_id)
        body = CollectionSerializer(collection).data
        services.collection_delete(collection=collection)
        return Response(body)


class SourceListView(OrgScopedView):
    @extend_schema(
        operation_id="list_sources",
        responses={200: SourceSerializer(many=True), **error_responses()},
        tags=["Sources"],
    )
    def get(self, request: Request) -> Response:
        return Response(SourceSerializer(all_sources(), many=True).data)


class SourceDetailView(OrgScopedView):
    @extend_schema(
        operation_id="get_source",
        parameters=[OpenApiParameter("short_name", str, OpenApiParameter.PATH)],
        responses={200: SourceSerializer, **error_responses(404)},
        tags=["Sources"],
    )
    def get(self, request: Request, short_name: str) -> Response:
        source_cls = get_source(short_name)
        if source_cls is None:
            raise NotFound(f"Source '{short_name}' not found")
        return Response(SourceSerializer(source_cls).data)


class HealthView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        operation_id="health",
        auth=[],
        responses={
            200: inline_serializer("Health", fields={"status": serializers.CharField()}),
            503: inline_serializer("Unhealthy", fields={"status": serializers.CharField()}),
        },
        tags=["Health"],
    )
    def get(self, request: Request) -> Response:
        try:
            with db_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except Exception:  # noqa: BLE001 - any database failure means unhealthy
            return Response({"status": "unavailable", "database": "error"}, status=503)
        return Response({"status": "ok"})
