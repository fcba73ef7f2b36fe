"""An MCP server for one collection: the tools ``search-<collection>`` and ``get-config``.

Built with the official ``mcp`` package. Tools run the same services as the HTTP API, in a
worker thread (the ORM is synchronous). Over HTTP every request carries an API key of the
collection's organization (``x-api-key`` or ``Authorization: Bearer``).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import anyio
from django.conf import settings
from django.db import close_old_connections
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from connections.exceptions import FieldInvalid, WeftError
from connections.models import ApiKey, Collection
from syncs.api.serializers import SearchResultSerializer
from syncs.search import service, tiers
from syncs.search.embedders import embedder_info
from syncs.search.filters import parse_filter

EXCERPT_CHARS = 700
Tier = Literal["instant", "classic", "agentic"]
Strategy = Literal["hybrid", "semantic", "keyword"]


def build_server(collection: Collection) -> MCPServer:
    server = MCPServer(
        name="weft",
        instructions=(
            f"Search the Weft collection '{collection.name}' ({collection.readable_id}) with "
            f"the tool search-{collection.readable_id}. Each result says where it came from, "
            "its link, and how fresh it is."
        ),
    )

    async def search(
        query: Annotated[str, Field(description="What to look for, in words or a question.")],
        tier: Annotated[
            Tier,
            Field(
                description="instant: fast retrieval; classic: an LLM plans the searches; "
                "agentic: an agent searches and reads (slow, needs an LLM)."
            ),
        ] = "instant",
        retrieval_strategy: Annotated[
            Strategy, Field(description="For the instant tier: hybrid, semantic or keyword.")
        ] = "hybrid",
        limit: Annotated[int, Field(ge=1, le=1000, description="How many results.")] = 10,
        offset: Annotated[int, Field(ge=0, description="How many results to skip.")] = 0,
        filter: Annotated[
            list[dict[str, Any]] | None,
            Field(
                description='Filter groups, e.g. [{"conditions": [{"field": '
                '"airweave_system_metadata.source_name", "operator": "equals", '
                '"value": "files"}]}]'
            ),
        ] = None,
    ) -> str:
        arguments = dict(
            query=query,
            tier=tier,
            retrieval_strategy=retrieval_strategy,
            limit=limit,
            offset=offset,
            filter=filter,
        )
        return await anyio.to_thread.run_sync(lambda: run_search(collection.pk, **arguments))

    async def get_config() -> str:
        return await anyio.to_thread.run_sync(lambda: describe(collection.pk))

    server.add_tool(
        search,
        name=f"search-{collection.readable_id}",
        description=(
            f"Search the '{collection.name}' collection. Returns the most relevant pieces of "
            "the synced documents with their names, sources, URLs and freshness."
        ),
        structured_output=False,
    )
    server.add_tool(
        get_config,
        name="get-config",
        description="This server's collection, search tiers and index configuration.",
        structured_output=False,
    )
    return server


def run_search(collection_pk, *, query: str, tier: str, limit: int, offset: int, **rest) -> str:
    close_old_connections()
    collection = Collection.objects.get(pk=collection_pk)
    try:
        hits = _hits(collection, query=query, tier=tier, limit=limit, offset=offset, **rest)
    except FieldInvalid as error:
        raise ToolError(str(error)) from None
    except WeftError as error:
        raise ToolError(error.detail) from None
    return render(query, tier, collection, SearchResultSerializer(hits, many=True).data)


def _hits(collection: Collection, *, query, tier, retrieval_strategy, limit, offset, filter):
    if not query.strip():
        raise FieldInvalid.single(("query",), "The query must not be blank.")
    filters = parse_filter(filter)
    if tier == "classic":
        return tiers.search_classic(
            collection=collection, query=query, filters=filters, limit=limit, offset=offset
        )
    if tier == "agentic":
        run = tiers.agentic_run(
            collection=collection, query=query, filters=filters, limit=limit, thinking=False
        )
        return run.collect()
    return service.search_instant(
        collection=collection,
        query=query,
        retrieval_strategy=retrieval_strategy,
        filters=[filters],
        limit=limit,
        offset=offset,
    )


def render(query: str, tier: str, collection: Collection, results: list[dict]) -> str:
    """Results as text an agent reads: one numbered block per result."""
    if not results:
        return f'No results for "{query}" in {collection.readable_id}.'
    lines = [f'{len(results)} results for "{query}" in {collection.readable_id} ({tier}):', ""]
    for number, result in enumerate(results, start=1):
        meta = result["airweave_system_metadata"]
        freshness = result["freshness"]
        lines.append(f"{number}. {result['name']}  (score {result['relevance_score']:.4f})")
        lines.append(f"   Source: {meta['source_name']} / {meta['entity_type']}")
        lines.append(f"   Id: {result['entity_id']}")
        if result["breadcrumbs"]:
            path = " > ".join(crumb["name"] for crumb in result["breadcrumbs"])
            lines.append(f"   Path: {path}")
        if result["web_url"]:
            lines.append(f"   URL: {result['web_url']}")
        if result["updated_at"]:
            lines.append(f"   Updated: {result['updated_at']}")
        synced = f"   Synced: {freshness['synced_at']}"
        if freshness["last_sync_failed"]:
            synced += " (the last sync of this source failed: this may be out of date)"
        lines.append(synced)
        text = result["textual_representation"]
        excerpt = text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "…"
        lines.extend(["", *("   " + line for line in excerpt.splitlines()), ""])
    return "\n".join(lines)


def describe(collection_pk) -> str:
    close_old_connections()
    collection = Collection.objects.get(pk=collection_pk)
    from syncs.search import llm

    vector_size, model = embedder_info()
    config = {
        "collection": {"readable_id": collection.readable_id, "name": collection.name},
        "search_tool": f"search-{collection.readable_id}",
        "tiers": {
            "instant": True,
            "classic": True,
            "agentic": llm.is_configured(),
        },
        "llm_configured": llm.is_configured(),
        "retrieval_strategies": ["hybrid", "keyword", *(["semantic"] if vector_size else [])],
        "embedding_model_name": model,
        "vector_size": vector_size,
        "base_url": settings.WEFT_BASE_URL,
    }
    return json.dumps(config, indent=2)


# --- Streamable HTTP with API-key authentication --------------------------------------------


class ApiKeyGate:
    """ASGI middleware: only an API key of the collection's organization gets through."""

    def __init__(self, app, collection: Collection) -> None:
        self.app = app
        self.organization_id = collection.organization_id

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {key.decode().lower(): value.decode() for key, value in scope["headers"]}
        plaintext = headers.get("x-api-key", "").strip() or _bearer(headers.get("authorization"))
        if not plaintext:
            await _deny(send, 401, "No valid authentication provided")
            return
        key = await anyio.to_thread.run_sync(_usable_key, plaintext)
        if key is None:
            await _deny(send, 403, "Invalid or expired API key")
            return
        if key.organization_id != self.organization_id:
            await _deny(send, 404, "Collection not found")
            return
        await self.app(scope, receive, send)


def _bearer(value: str | None) -> str:
    scheme, _, token = (value or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _usable_key(plaintext: str) -> ApiKey | None:
    close_old_connections()
    key = ApiKey.find_usable(plaintext)
    if key is not None:
        key.touch()
    return key


async def _deny(send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"www-authenticate", b"ApiKey")],
        }
    )
    await send({"type": "http.response.body", "body": body})


def http_app(collection: Collection, *, host: str):
    app = build_server(collection).streamable_http_app(host=host)
    return ApiKeyGate(app, collection)
