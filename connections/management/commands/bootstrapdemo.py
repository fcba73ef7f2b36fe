"""Set up the local demo `make run` serves: an organization, a login and an API key.

Running it again reuses what exists. The demo login and key are kept in ``DATA_DIR`` (mode 0600)
so they can be printed again; this is a convenience of the local demo, not how production runs.
"""

from __future__ import annotations

import json
import os
import secrets

from django.conf import settings
from django.core.management.base import BaseCommand

from connections import services
from connections.models import ApiKey

DEMO_ORG = "demo"
DEMO_EMAIL = "demo@weft.local"


def _load(path) -> dict:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return {}


def _store(path, data: dict) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle)


class Command(BaseCommand):
    help = "Create (or reuse) the demo organization, login and API key, and print them."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args, base_url: str, **options) -> None:
        path = settings.DATA_DIR / "demo-credentials.json"
        saved = _load(path)
        password = saved.get("password") or secrets.token_urlsafe(12)
        membership, _ = services.member_add(
            organization_slug=DEMO_ORG, email=DEMO_EMAIL, password=password, role="owner"
        )
        if not membership.user.is_staff:
            membership.user.is_staff = membership.user.is_superuser = True
            membership.user.save(update_fields=["is_staff", "is_superuser"])
        api_key = saved.get("api_key")
        if not api_key or ApiKey.find_usable(api_key) is None:
            _, api_key = services.apikey_create(
                organization_slug=DEMO_ORG, name="make run demo", days=365
            )
        _store(path, {"password": password, "api_key": api_key})
        base = base_url.rstrip("/")
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "Weft is starting.",
                    f"  Web pages : {base}/",
                    f"  Login     : {DEMO_EMAIL} / {password}",
                    f"  API       : {base}/api   (header x-api-key: {api_key})",
                    f"  API docs  : {base}/api/docs",
                    f"  Admin     : {base}/admin/",
                    "",
                ]
            )
        )
