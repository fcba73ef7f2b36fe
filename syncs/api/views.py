"""Search endpoints: ``/collections/{readable_id}/search/{instant,classic,agentic}``."""

from __future__ import annotations

import json
from collections.abc import Iterator

from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from connections.api.schema import error_responses
from connections.api.views import OrgScopedView, parse
from syncs.api.serializers import (
    AgenticSearchRequestSerializer,
    ClassicSearchRequestSerializer,
    InstantSearchRequestSerializer,
    SearchResponseSerializer,
    SearchResultSerializer,
)
from syncs.search import service, tiers
from syncs.search.filters import parse_filter


def _results(hits) -> Response:
    return Response({"results": SearchResultSerializer(hits, many=True).data})


class InstantSearchView(OrgScopedView):
    @extend_schema(
        operation_id="search_instant",
        summary="Instant search",
        description="Keyword, semantic or hybrid retrieval over the collection's chunks.",
        request=InstantSearchRequestSerializer,
        responses={200: SearchResponseSerializer, **error_responses(400, 404, 422)},
        tags=["Search"],
    )
    def post(self, request: Request, readable_id: str) -> Response:
        collection = self.get_collection(readable_id)
        data = parse(InstantSearchRequestSerializer, request.data, "body")
        hits = service.search_instant(
            collection=collection,
            query=data["query"],
            retrieval_strategy=data["retrieval_strategy"],
            filters=[parse_filter(data["filter"])],
            limit=data["limit"],
            offset=data["offset"],
        )
        return _results(hits)


class ClassicSearchView(OrgScopedView):
    @extend_schema(
        operation_id="search_classic",
        summary="Classic search",
        description=(
            "With an LLM configured, one call plans query variations and filters, the instant "
            "searches run and their results are merged. Without one, an instant hybrid search."
        ),
        request=ClassicSearchRequestSerializer,
        responses={200: SearchResponseSerializer, **error_responses(404, 422)},
        tags=["Search"],
    )
    def post(self, request: Request, readable_id: str) -> Response:
        collection = self.get_collection(readable_id)
        data = parse(ClassicSearchRequestSerializer, request.data, "body")
        hits = tiers.search_classic(
            collection=collection,
            query=data["query"],
            filters=parse_filter(data["filter"]),
            limit=data["limit"],
            offset=data["offset"],
        )
        return _results(hits)


class AgenticSearchView(OrgScopedView):
    @extend_schema(
        operation_id="search_agentic",
        summary="Agentic search",
        description="A tool-calling agent searches, reads and collects results. Needs an LLM.",
        request=AgenticSearchRequestSerializer,
        responses={
            200: SearchResponseSerializer,
            **error_responses(404, 422),
            503: OpenApiResponse(description="No LLM is configured"),
        },
        tags=["Search"],
    )
    def post(self, request: Request, readable_id: str) -> Response:
        run = _agentic_run(self.get_collection(readable_id), request)
        return _results(run.collect())


def _agentic_run(collection, request: Request):
    """Parse an agentic search request and start the agent (shared by plain and streamed)."""
    data = parse(AgenticSearchRequestSerializer, request.data, "body")
    return tiers.agentic_run(
        collection=collection,
        query=data["query"],
        filters=parse_filter(data["filter"]),
        limit=data.get("limit"),
        thinking=bool(data.get("thinking")),
    )


class AgenticSearchStreamView(OrgScopedView):
    @extend_schema(
        operation_id="search_agentic_stream",
        summary="Agentic search, streamed",
        description=(
            "Server-Sent Events, one JSON object per event with a `type`: started, thinking, "
            "tool_call, done or error. The stream ends after done or error."
        ),
        request=AgenticSearchRequestSerializer,
        responses={
            (200, "text/event-stream"): OpenApiResponse(description="SSE stream of events"),
            **error_responses(404, 422),
            503: OpenApiResponse(description="No LLM is configured"),
        },
        tags=["Search"],
    )
    def post(self, request: Request, readable_id: str) -> StreamingHttpResponse:
        run = _agentic_run(self.get_collection(readable_id), request)
        response = StreamingHttpResponse(_sse(run.events()), content_type="text/event-stream")
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"
        return response


def _sse(events: Iterator[dict]) -> Iterator[str]:
    for event in events:
        if event["type"] == "done":
            event = {**event, "results": SearchResultSerializer(event["results"], many=True).data}
        yield f"event: {event['type']}\ndata: {json.dumps(event, default=str)}\n\n"
