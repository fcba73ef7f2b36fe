"""End to end in a real headless Chromium: the OAuth browser flow of a GitHub connection.

`manage.py serve` (web server and qcluster worker) runs on a throwaway SQLite database with the
fake OAuth provider as GitHub's platform app and the fake GitHub API as the repository host.
Playwright drives Debian's chromium: open the ``auth_url``, approve on the provider's page, land
on the ``redirect_url`` with ``status=success``; then the API caller claims the flow and the
worker runs the first sync.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.fakes.github import FakeGitHub, github_server  # noqa: F401 - fixture
from tests.fakes.oauth2 import CLIENT_ID, CLIENT_SECRET, serve_provider
from tests.web.test_e2e_browser import (
    BASE_DIR,
    CHROMIUM,
    CHROMIUM_ARGS,
    free_port,
    manage,
    running_weft,
)

pytestmark = pytest.mark.e2e
REPO = "acme/handbook"


@pytest.fixture(scope="module")
def provider():
    with serve_provider() as fake:
        yield fake


@pytest.fixture
def weft(tmp_path, provider, github_server):  # noqa: F811
    """A running Weft whose GitHub OAuth app is the fake provider; yields (url, api key)."""
    github_server.token_check = provider.token_is_valid
    github_server.add_repo(REPO, {"README.md": "# Handbook\n", "deploy.md": "Blue-green.\n"})
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "WEFT_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'weft.sqlite3'}",
        "REDIS_URL": "",
        "WEFT_WORKERS": "1",
        "WEFT_BASE_URL": base_url,
        "WEFT_OAUTH_GITHUB_CLIENT_ID": CLIENT_ID,
        "WEFT_OAUTH_GITHUB_CLIENT_SECRET": CLIENT_SECRET,
        "WEFT_OAUTH_GITHUB_AUTHORIZE_URL": provider.authorize_url,
        "WEFT_OAUTH_GITHUB_TOKEN_URL": provider.token_url,
    }
    manage(env, "migrate", "-v", "0")
    manage(
        env, "createuser", "--org", "acme", "--email", "e2e@weft.test", "--password", "pw-123456"
    )
    key = (
        subprocess.run(
            [sys.executable, "manage.py", "createapikey", "--org", "acme"],
            cwd=BASE_DIR,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    with running_weft(env, port) as running:
        yield running, key


def test_connect_github_through_the_providers_consent_page(weft, provider, github_server):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    base_url, key = weft
    api = httpx.Client(base_url=f"{base_url}/api", headers={"x-api-key": key}, timeout=20)
    api.post(
        "/collections", json={"name": "Handbook", "readable_id": "handbook"}
    ).raise_for_status()
    created = api.post(
        "/source-connections",
        json={
            "short_name": "github",
            "readable_collection_id": "handbook",
            "config": {"repo_name": REPO, "base_url": github_server.base_url},
            "redirect_url": f"{provider.base_url}/landing?from=e2e",
        },
    ).json()
    assert created["status"] == "pending_auth", created

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.set_default_timeout(20_000)
        page.goto(created["auth"]["auth_url"])
        expect(page.get_by_role("heading", name=f"Authorize {CLIENT_ID}?")).to_be_visible()
        page.get_by_role("button", name="Approve").click()
        expect(page.get_by_role("heading", name="Back in the app")).to_be_visible()
        landed = {k: v[-1] for k, v in parse_qs(urlsplit(page.url).query).items()}
        browser.close()
    assert landed == {"from": "e2e", "status": "success", "source_connection_id": created["id"]}

    claim = {"claim_token": created["auth"]["claim_token"]}
    api.post(f"/source-connections/{created['id']}/verify-oauth", json=claim).raise_for_status()
    deadline = time.monotonic() + 60
    while True:
        last_job = (api.get(f"/source-connections/{created['id']}").json()["sync"] or {}).get(
            "last_job"
        )
        if last_job and last_job["status"] in ("completed", "failed"):
            break
        assert time.monotonic() < deadline, f"the first sync did not finish: {last_job}"
        time.sleep(0.5)
    assert last_job["status"] == "completed", last_job
    assert last_job["entities_inserted"] >= 3  # the repository and its two files, at least
