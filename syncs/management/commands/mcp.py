"""Serve one collection over the Model Context Protocol (stdio, or streamable HTTP)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from connections.models import Collection


class Command(BaseCommand):
    help = (
        "Serve a collection's search to MCP clients: over stdio (the default), or over "
        "streamable HTTP at http://HOST:PORT/mcp with --http (API key required)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--collection", required=True, help="The collection's readable_id.")
        parser.add_argument("--http", action="store_true", help="Serve streamable HTTP.")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8001)

    def handle(self, *args, collection: str, http: bool, host: str, port: int, **options):
        from syncs.search import mcp_server

        found = Collection.objects.filter(readable_id=collection).first()
        if found is None:
            raise CommandError(f"No collection with readable_id {collection!r}")
        if not http:
            # stdout is the protocol channel: nothing else may be written to it.
            mcp_server.build_server(found).run("stdio")
            return
        import uvicorn

        self.stderr.write(f"MCP server for {found.readable_id} at http://{host}:{port}/mcp")
        uvicorn.run(
            mcp_server.http_app(found, host=host), host=host, port=port, log_level="warning"
        )
