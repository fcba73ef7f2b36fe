"""End to end in a real headless Chromium: `manage.py serve` (web server and qcluster worker) on
a throwaway SQLite database, driven by Playwright through Debian's chromium.

Screenshots go to a temporary folder, or to ``WEFT_SCREENSHOT_DIR`` (``make screenshots`` sets
it to docs/screenshots/).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings

BASE_DIR = Path(django_settings.BASE_DIR)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
EMAIL, PASSWORD = "e2e@weft.test", "e2e-password-123"
HANDBOOK = {
    "deploy.md": "# Deploying\n\nWe ship with a blue-green rollout behind the load balancer.\n",
    "oncall.md": "# On call\n\nThe pager rotation changes every Monday at noon.\n",
    "backups.txt": "Nightly backups are encrypted and kept for thirty days.\n",
    "guide/onboarding.md": "# Onboarding\n\nNew people pair with a buddy for the first week.\n",
}

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/api/health", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, check=True)


@contextlib.contextmanager
def running_weft(env: dict[str, str], port: int) -> Iterator[str]:
    """``manage.py serve`` (web server and worker) on ``port`` until the block ends."""
    serve = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--port", str(port)],
        cwd=BASE_DIR,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not healthy(base_url):
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        yield base_url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(serve.pid, signal.SIGINT)
        try:
            serve.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A running Weft (server and worker) with one user and a folder for the files source."""
    data = tmp_path_factory.mktemp("weft")
    files = data / "files"
    for name, text in HANDBOOK.items():
        path = files / "handbook" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    port = free_port()
    env = {
        **os.environ,
        "WEFT_DATA_DIR": str(data),
        "DATABASE_URL": f"sqlite:///{data / 'weft.sqlite3'}",
        "REDIS_URL": "",
        "WEFT_WORKERS": "1",
        "WEFT_FILES_ROOTS": str(files),
        "WEFT_BASE_URL": f"http://127.0.0.1:{port}",
        "WEFT_INTERNAL_SOURCES": "false",
    }
    manage(env, "migrate", "-v", "0")
    manage(env, "createuser", "--org", "handbook-team", "--email", EMAIL, "--password", PASSWORD)
    with running_weft(env, port) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("WEFT_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# Elements that stick out past the right edge of the window (a sideways scroll), by tag.class.
OVERFLOWING_JS = """
() => [...document.querySelectorAll("body *")]
  .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
  .filter((el) => !el.parentElement.closest(".table-scroll, pre"))
  .map((el) => el.tagName.toLowerCase() + (el.className ? "." + el.className : ""))
"""


def page_is_wider_than_window(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth")


def overflowing(page) -> list[str]:
    return page.evaluate(OVERFLOWING_JS)


def test_connect_files_watch_sync_search_and_manage_keys(server, browser, shots):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.set_default_timeout(20_000)

    # Log in.
    page.goto(f"{server}/")
    expect(page).to_have_url(f"{server}/login/?next=/")
    page.screenshot(path=shots / "login.png")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")  # the keyboard is enough

    # Create a collection.
    expect(page.get_by_role("heading", name="Collections", exact=True)).to_be_visible()
    page.keyboard.press("Tab")  # the first stop is the skip link
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.get_by_label("Name").fill("Team handbook")
    page.get_by_role("button", name="Create collection").click()
    expect(page.get_by_role("heading", name="Team handbook")).to_be_visible()
    collection_url = page.url

    # Add a files source: find it in the catalog, fill the generated form.
    page.get_by_role("link", name="Add a source").first.click()
    page.screenshot(path=shots / "add_source_catalog.png", full_page=True)
    page.get_by_label("Find a source").fill("file")
    expect(page.locator(".catalog-item")).to_have_count(1)
    page.locator(".catalog-link", has_text="Files").click()
    page.get_by_label("Name").fill("Handbook folder")
    page.get_by_label("Folder").fill("handbook")
    expect(page.locator(".schedule-preview")).to_contain_text("Every day at")
    page.screenshot(path=shots / "add_source_form.png", full_page=True)
    page.get_by_role("button", name="Connect Files").click()

    # The connection page: the progress bar reaches completed without a reload.
    expect(page.get_by_role("heading", name="Handbook folder")).to_be_visible()
    connection_url = page.url
    page.evaluate("window.__sameDocument = true")
    expect(page.get_by_test_id("job-status")).to_have_text("completed", timeout=60_000)
    expect(page.get_by_test_id("count-inserted")).to_have_text(str(len(HANDBOOK)))
    assert page.locator("progress.progress").get_attribute("value") == "100"
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"
    expect(page.locator("#entity-counts")).to_contain_text(f"({len(HANDBOOK)})")
    expect(page.locator("#job-chart svg")).to_be_visible()
    page.screenshot(path=shots / "connection.png", full_page=True)

    # Search the collection and open a result.
    page.goto(collection_url)
    expect(page.locator(".badge-active").first).to_be_visible()
    page.get_by_label("Search this collection").fill("rollout")
    page.get_by_label("Search this collection").press("Enter")
    result = page.locator(".result").first
    expect(result).to_contain_text("deploy.md")
    expect(result.locator("mark")).to_have_text("rollout")
    page.screenshot(path=shots / "collection_search.png", full_page=True)
    result.get_by_role("link", name="deploy.md").click()
    expect(page.locator(".entity-text")).to_contain_text("blue-green rollout")
    page.screenshot(path=shots / "entity.png", full_page=True)

    # Dashboard with the synced collection.
    page.goto(f"{server}/")
    expect(page.locator("tbody tr")).to_contain_text(str(len(HANDBOOK)))
    page.screenshot(path=shots / "dashboard.png", full_page=True)

    # Create an API key (shown once), then revoke it.
    page.get_by_role("link", name="API keys").click()
    page.get_by_label("Name").fill("e2e agent")
    page.get_by_role("button", name="Create key").click()
    new_key = page.locator("#new-key-value").input_value()
    assert new_key.startswith("weft_")
    expect(page.get_by_role("button", name="Copy").first).to_be_visible()
    page.screenshot(path=shots / "api_keys.png", full_page=True)
    prefix = new_key[:12]
    page.get_by_role("button", name=f"Revoke key {prefix}").click()
    expect(page.locator("tr", has_text=prefix).locator(".badge-failed")).to_have_text("revoked")

    # Every page stays usable at 375 px: nothing scrolls sideways.
    mobile = browser.new_page(viewport={"width": 375, "height": 800})
    mobile.context.add_cookies(page.context.cookies())
    for name, url in [
        ("dashboard", f"{server}/"),
        ("collection", collection_url),
        ("add_source_catalog", f"{collection_url}sources/"),
        ("add_source_form", f"{collection_url}sources/files/"),
        ("connection", connection_url),
        ("api_keys", f"{server}/api-keys/"),
    ]:
        mobile.goto(url)
        wide = page_is_wider_than_window(mobile)
        assert not wide, (name, overflowing(mobile))
    mobile.screenshot(path=shots / "api_keys_375px.png", full_page=True)
