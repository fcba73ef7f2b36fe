"""The official SDK's search clients and the ``airweave`` CLI against a synced files collection."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from airweave import AirweaveSDK

from connections import services
from tests.search.conftest import run_sync

# Also on SQLite: `make run` serves them from SQLite.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.dbspecific]

AIRWEAVE_CLI = Path(sys.executable).with_name("airweave")


@pytest.fixture
def files_collection(org_a, tmp_path, settings) -> str:
    """Organization A's collection, fed by a synced folder of three documents."""
    root = tmp_path / "files"
    (root / "runbooks").mkdir(parents=True)
    (root / "runbooks" / "deploy.md").write_text("# Deploying\nRun the canary, then promote it.")
    (root / "runbooks" / "oncall.md").write_text("# On call\nPage the secondary after 15 minutes.")
    (root / "holidays.txt").write_text("The office closes for the winter holidays.")
    settings.WEFT_FILES_ROOTS = [root]
    connection = services.source_connection_create(
        organization=org_a.organization,
        data={
            "short_name": "files",
            "readable_collection_id": org_a.collection.readable_id,
            "config": {"path": str(root)},
            "sync_immediately": False,
        },
    )
    assert run_sync(connection).status == "completed"
    return org_a.collection.readable_id


@pytest.fixture
def sdk(live_server, org_a):
    with httpx.Client(timeout=10) as http:
        yield AirweaveSDK(
            api_key=org_a.plaintext_key, base_url=live_server.url + "/api", httpx_client=http
        )


def test_sdk_instant_search_finds_the_relevant_file(sdk, files_collection):
    response = sdk.collections.search.instant(
        files_collection, query="canary deploy", retrieval_strategy="keyword"
    )
    assert response.results[0].name == "deploy.md"
    assert response.results[0].airweave_system_metadata.source_name == "files"


def test_sdk_classic_search_works_without_an_llm(sdk, files_collection):
    response = sdk.collections.search.classic(files_collection, query="page the secondary")
    assert [result.name for result in response.results][:1] == ["oncall.md"]


@pytest.fixture
def cli(live_server, org_a, tmp_path):
    """Runs ``airweave --json search ...`` with the key and base URL from the environment."""

    def run(*args: str) -> list[dict]:
        return _cli(live_server.url + "/api", org_a.plaintext_key, tmp_path / "home", *args)

    return run


def _cli(base_url: str, api_key: str, home: Path, *args: str) -> list[dict]:
    env = {
        **os.environ,
        "HOME": str(home),  # no stored login: only the environment counts
        "AIRWEAVE_API_KEY": api_key,
        "AIRWEAVE_BASE_URL": base_url,
    }
    done = subprocess.run(
        [str(AIRWEAVE_CLI), "--json", "search", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    return json.loads(done.stdout)["results"]


def test_cli_default_tier_returns_relevant_results(cli, files_collection):
    results = cli("winter holidays", "-c", files_collection)
    assert results[0]["name"] == "holidays.txt"


def test_cli_instant_keyword_search(cli, files_collection):
    results = cli("canary", "-c", files_collection, "-m", "instant", "-s", "keyword")
    assert [result["name"] for result in results] == ["deploy.md"]
