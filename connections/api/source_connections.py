"""HTTP endpoints for source connections, their runs and their jobs."""

from __future__ import annotations

import uuid

from django.http import HttpResponseRedirect
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from connections import services
from connections.api.schema import error_responses
from connections.api.source_connection_serializers import (
    JobsQuerySerializer,
    ListQuerySerializer,
    ReinitiateOAuthSerializer,
    RunQuerySerializer,
    SourceConnectionCreateSerializer,
    SourceConnectionJobSerializer,
    SourceConnectionListItemSerializer,
    SourceConnectionSerializer,
    SourceConnectionUpdateSerializer,
    VerifyOAuthSerializer,
)
from connections.api.views import OrgScopedView, parse, query_params
from connections.exceptions import NotFound
from connections.models import SourceConnection
from connections.oauth import services as oauth_services
from connections.selectors import entity_counts
from syncs import services as sync_services
from syncs.models import SyncJob

TAGS = ["Source Connections"]


class SourceConnectionScopedView(OrgScopedView):
    def get_source_connection(self, source_connection_id: str) -> SourceConnection:
        try:
            pk = uuid.UUID(source_connection_id)
        except ValueError:
            raise NotFound("Source connection not found") from None
        found = SourceConnection.objects.for_org(self.organization).with_sync().filter(pk=pk)
        source_connection = found.first()
        if source_connection is None:
            raise NotFound("Source connection not found")
        return source_connection


class SourceConnectionListView(SourceConnectionScopedView):
    @extend_schema(
        operation_id="list_source_connections",
        parameters=[ListQuerySerializer],
        responses={200: dict, **error_responses(422)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        params = parse(ListQuerySerializer, query_params(request), "query")
        found = SourceConnection.objects.for_org(self.organization).with_sync()
        if params.get("collection"):
            found = found.filter(collection__readable_id=params["collection"])
        page = list(found[params["skip"] : params["skip"] + params["limit"]])
        counts = entity_counts([sc.id for sc in page])
        serializer = SourceConnectionListItemSerializer(
            page, many=True, context={"entity_counts": counts}
        )
        return Response(serializer.data)

    @extend_schema(
        operation_id="create_source_connection",
        request=SourceConnectionCreateSerializer,
        responses={200: dict, **error_responses(400, 404, 409, 422)},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        data = parse(SourceConnectionCreateSerializer, request.data, "body")
        source_connection = services.source_connection_create(
            organization=self.organization, data=data
        )
        return Response(SourceConnectionSerializer(source_connection).data)


class SourceConnectionDetailView(SourceConnectionScopedView):
    @extend_schema(
        operation_id="get_source_connection",
        responses={200: dict, **error_responses(404)},
        tags=TAGS,
    )
    def get(self, request: Request, source_connection_id: str) -> Response:
        source_connection = self.get_source_connection(source_connection_id)
        return Response(SourceConnectionSerializer(source_connection).data)

    @extend_schema(
        operation_id="update_source_connection",
        request=SourceConnectionUpdateSerializer,
        responses={200: dict, **error_responses(400, 404, 422)},
        tags=TAGS,
    )
    def patch(self, request: Request, source_connection_id: str) -> Response:
        source_connection = self.get_source_connection(source_connection_id)
        data = parse(SourceConnectionUpdateSerializer, request.data, "body")
        source_connection = services.source_connection_update(
            source_connection=source_connection, data=data
        )
        return Response(SourceConnectionSerializer(source_connection).data)

    @extend_schema(
        operation_id="delete_source_connection",
        responses={200: dict, **error_responses(404)},
        tags=TAGS,
    )
    def delete(self, request: Request, source_connection_id: str) -> Response:
        source_connection = self.get_source_connection(source_connection_id)
        body = SourceConnectionSerializer(source_connection).data
        services.source_connection_delete(source_connection=source_connection)
        return Response(body)


class SourceConnectionRunView(SourceConnectionScopedView):
    @extend_schema(
        operation_id="run_source_connection",
        parameters=[RunQuerySerializer],
        request=None,
        responses={200: dict, **error_responses(400, 404, 409, 422)},
        tags=TAGS,
    )
    def post(self, request: Request, source_connection_id: str) -> Response:
        source_connection = self.get_source_connection(source_connection_id)
        params = parse(RunQuerySerializer, query_params(request), "query")
        job = sync_services.sync_job_run_manual(
            sync=source_connection.sync, force_full_sync=params["force_full_sync"]
        )
        return Response(SourceConnectionJobSerializer(job).data)


class SourceConnectionJobsView(SourceConnectionScopedView):
    @extend_schema(
        operation_id="get_source_connection_jobs",
        parameters=[JobsQuerySerializer],
        responses={200: dict, **error_responses(404, 422)},
        tags=TAGS,
    )
    def get(self, request: Request, source_connection_id: str) -> Response:
        source_connection = self.get_source_connection(source_connection_id)
        params = parse(JobsQuerySerializer, query_params(request), "query")
        jobs = SyncJob.objects.filter(source_connection=source_connection).order_by("-created_at")[
            : params["limit"]
        ]
        return Response(SourceConnectionJobSerializer(jobs, many=True).data)


class SourceConnectionJobCancelView(SourceConnectionScopedView):
    @extend_schema(
        operation_id="cancel_job",
        request=None,
        responses={200: dict, **error_responses(404, 409)},
        tags=TAGS,
    )
    def post(self, request: Request, source_connection_id: str, job_id: str) -> Response:
        source_connection = self.get_source_connection(source_connection_id)
        try:
            job = SyncJob.objects.get(source_connection=source_connection, pk=uuid.UUID(job_id))
        except (ValueError, SyncJob.DoesNotExist):
            raise NotFound("Sync job not found") from None
        job = sync_services.sync_job_cancel(job=job)
        return Response(SourceConnectionJobSerializer(job).data)


class SourceConnectionVerifyOAuthView(SourceConnectionScopedView):
    @extend_schema(
        operation_id="verify_oauth",
        request=VerifyOAuthSerializer,
        responses={200: dict, **error_responses(400, 403, 404, 422)},
        tags=TAGS,
    )
    def post(self, request: Request, source_connection_id: str) -> Response:
        source_connection = self.get_source_connection(source_connection_id)
        data = parse(VerifyOAuthSerializer, request.data, "body")
        source_connection = oauth_services.oauth_verify(
            source_connection=source_connection, claim_token=data["claim_token"]
        )
        return Response(SourceConnectionSerializer(source_connection).data)


class SourceConnectionReinitiateOAuthView(SourceConnectionScopedView):
    @extend_schema(
        operation_id="reinitiate_oauth",
        request=ReinitiateOAuthSerializer,
        responses={200: dict, **error_responses(400, 404, 422)},
        tags=TAGS,
    )
    def post(self, request: Request, source_connection_id: str) -> Response:
        source_connection = self.get_source_connection(source_connection_id)
        data = parse(ReinitiateOAuthSerializer, request.data or {}, "body")
        source_connection = oauth_services.oauth_reinitiate(
            source_connection=source_connection, redirect_url=data.get("redirect_url")
        )
        return Response(SourceConnectionSerializer(source_connection).data)


class OAuthAuthorizeView(APIView):
    """The short ``auth_url``: opened in a browser, so no API key."""

    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes: list = []

    @extend_schema(operation_id="oauth_authorize", responses={303: None, 404: dict}, tags=TAGS)
    def get(self, request: Request, code: str) -> HttpResponseRedirect:
        return _see_other(oauth_services.oauth_authorize(code=code))


class OAuthCallbackView(APIView):
    """Where the provider sends the browser back; no API key."""

    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes: list = []

    @extend_schema(operation_id="oauth_callback", responses={303: None, 400: dict}, tags=TAGS)
    def get(self, request: Request) -> HttpResponseRedirect:
        return _see_other(oauth_services.oauth_callback(query=query_params(request)))


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response
