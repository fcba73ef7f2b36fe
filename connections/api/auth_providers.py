"""HTTP endpoints for auth providers and the organization's connections to them."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from connections.api.auth_provider_serializers import (
    AuthProviderConnectionCreateSerializer,
    AuthProviderConnectionSerializer,
    AuthProviderConnectionUpdateSerializer,
    AuthProviderSerializer,
    ListQuerySerializer,
)
from connections.api.schema import error_responses
from connections.api.views import OrgScopedView, parse, query_params
from connections.auth_providers import services
from connections.auth_providers.registry import all_providers, get_provider
from connections.exceptions import NotFound
from connections.models import AuthProviderConnection

TAGS = ["Auth Providers"]
SHORT_NAME = OpenApiParameter("short_name", str, OpenApiParameter.PATH)
READABLE_ID = OpenApiParameter("readable_id", str, OpenApiParameter.PATH)


class AuthProviderConnectionScopedView(OrgScopedView):
    def get_connection(self, readable_id: str) -> AuthProviderConnection:
        connection = (
            AuthProviderConnection.objects.filter(
                organization=self.organization, readable_id=readable_id
            )
            .select_related("credential")
            .first()
        )
        if connection is None:
            raise NotFound(f"Auth provider connection not found: {readable_id}")
        return connection

    @property
    def user_email(self) -> str | None:
        """Who acts: the person who issued the API key, when known."""
        person = getattr(self.request.auth, "created_by", None)
        return getattr(person, "email", None) or None


class AuthProviderListView(OrgScopedView):
    @extend_schema(
        operation_id="list_auth_providers",
        parameters=[ListQuerySerializer],
        responses={200: dict, **error_responses(422)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        params = parse(ListQuerySerializer, query_params(request), "query")
        page = all_providers()[params["skip"] : params["skip"] + params["limit"]]
        return Response(AuthProviderSerializer(page, many=True).data)


class AuthProviderDetailView(OrgScopedView):
    @extend_schema(
        operation_id="get_auth_provider",
        parameters=[SHORT_NAME],
        responses={200: dict, **error_responses(404)},
        tags=TAGS,
    )
    def get(self, request: Request, short_name: str) -> Response:
        provider_cls = get_provider(short_name)
        if provider_cls is None:
            raise NotFound(f"Auth provider not found: {short_name}")
        return Response(AuthProviderSerializer(provider_cls).data)


class AuthProviderConnectionListView(AuthProviderConnectionScopedView):
    @extend_schema(
        operation_id="list_auth_provider_connections",
        parameters=[ListQuerySerializer],
        responses={200: dict, **error_responses(422)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        params = parse(ListQuerySerializer, query_params(request), "query")
        found = AuthProviderConnection.objects.filter(organization=self.organization)
        page = found.select_related("credential")[params["skip"] : params["skip"] + params["limit"]]
        return Response(AuthProviderConnectionSerializer(page, many=True).data)


class AuthProviderConnectionCreateView(AuthProviderConnectionScopedView):
    @extend_schema(
        operation_id="connect_auth_provider",
        request=AuthProviderConnectionCreateSerializer,
        responses={200: dict, **error_responses(400, 409, 422)},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        data = parse(AuthProviderConnectionCreateSerializer, request.data, "body")
        connection = services.auth_provider_connection_create(
            organization=self.organization, data=data, created_by_email=self.user_email
        )
        return Response(AuthProviderConnectionSerializer(connection).data)


class AuthProviderConnectionDetailView(AuthProviderConnectionScopedView):
    @extend_schema(
        operation_id="get_auth_provider_connection",
        parameters=[READABLE_ID],
        responses={200: dict, **error_responses(404)},
        tags=TAGS,
    )
    def get(self, request: Request, readable_id: str) -> Response:
        return Response(AuthProviderConnectionSerializer(self.get_connection(readable_id)).data)


class AuthProviderConnectionChangeView(AuthProviderConnectionScopedView):
    @extend_schema(
        operation_id="update_auth_provider_connection",
        parameters=[READABLE_ID],
        request=AuthProviderConnectionUpdateSerializer,
        responses={200: dict, **error_responses(400, 404, 422)},
        tags=TAGS,
    )
    def put(self, request: Request, readable_id: str) -> Response:
        connection = self.get_connection(readable_id)
        data = parse(AuthProviderConnectionUpdateSerializer, request.data, "body")
        connection = services.auth_provider_connection_update(
            connection=connection, data=data, modified_by_email=self.user_email
        )
        return Response(AuthProviderConnectionSerializer(connection).data)

    @extend_schema(
        operation_id="delete_auth_provider_connection",
        parameters=[READABLE_ID],
        responses={200: dict, **error_responses(404, 409)},
        tags=TAGS,
    )
    def delete(self, request: Request, readable_id: str) -> Response:
        connection = self.get_connection(readable_id)
        body = AuthProviderConnectionSerializer(connection).data
        services.auth_provider_connection_delete(connection=connection)
        return Response(body)
