"""The MCP server answers a real MCP client, over stdio and over streamable HTTP.

The server runs as ``manage.py mcp`` in a subprocess against the test database, so the data
is committed (a transactional test); ``make test`` runs it on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import httpx2
import pytest
from django.db import connection
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

from tests.search.conftest import write_entities

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
MANAGE = [sys.executable, "manage.py"]


def server_env() -> dict[str, str]:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{db['NAME']}"  # a file database; an in-memory one cannot be shared
    else:
        url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return {"DATABASE_URL": url, "LOG_LEVEL": "WARNING", "WEFT_EMBEDDER": "none"}


@pytest.fixture
def documents(org_a, source_connection):
    write_entities(
        source_connection,
        {
            "entity_id": "runbook",
            "name": "Deployment runbook",
            "text": "Roll back a failed deployment with the release tool.",
            "web_url": "https://docs.invalid/runbook",
            "breadcrumbs": [{"entity_id": "ops", "name": "Operations", "entity_type": "folder"}],
        },
        {"entity_id": "menu", "name": "Lunch menu", "text": "Soup on Friday."},
    )
    return org_a.collection


async def use_session(read, write, readable_id: str) -> tuple[list[str], str, str]:
    async with ClientSession(read, write) as session:
        await session.initialize()
        tools = [tool.name for tool in (await session.list_tools()).tools]
        found = await session.call_tool(f"search-{readable_id}", {"query": "roll back deployment"})
        config = await session.call_tool("get-config", {})
        return tools, found.content[0].text, config.content[0].text


def test_stdio_server_lists_tools_and_searches(documents):
    params = StdioServerParameters(
        command=sys.executable,
        args=["manage.py", "mcp", "--collection", documents.readable_id],
        env=server_env(),
        cwd=str(ROOT),
    )

    async def main():
        async with stdio_client(params) as (read, write):
            return await use_session(read, write, documents.readable_id)

    tools, text, config = asyncio.run(main())
    assert sorted(tools) == sorted([f"search-{documents.readable_id}", "get-config"])
    assert text.startswith('1 results for "roll back deployment"')
    assert "1. Deployment runbook" in text
    assert "Source: stub / stub_document" in text
    assert "URL: https://docs.invalid/runbook" in text
    assert "Path: Operations" in text
    assert "Synced: 20" in text
    assert json.loads(config)["collection"]["readable_id"] == documents.readable_id


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def http_server(documents):
    port = free_port()
    process = subprocess.Popen(
        [*MANAGE, "mcp", "--collection", documents.readable_id, "--http", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, **server_env()},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}/mcp"
    process.terminate()
    process.wait(timeout=10)


def test_http_server_searches_with_an_api_key(org_a, documents, http_server):
    async def main():
        headers = {"Authorization": f"Bearer {org_a.plaintext_key}"}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=30) as client,
            streamable_http_client(http_server, http_client=client) as (read, write),
        ):
            return await use_session(read, write, documents.readable_id)

    tools, text, _ = asyncio.run(main())
    assert f"search-{documents.readable_id}" in tools
    assert "1. Deployment runbook" in text


def test_http_server_refuses_missing_wrong_and_foreign_keys(org_a, org_b, http_server):
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    assert httpx.post(http_server, json=ping).status_code == 401
    assert httpx.post(http_server, json=ping, headers={"x-api-key": "weft_nope"}).status_code == 403
    foreign = httpx.post(http_server, json=ping, headers={"x-api-key": org_b.plaintext_key})
    assert foreign.status_code == 404
