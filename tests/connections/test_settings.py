"""config/settings.py read in a fresh process: the embedded default needs nothing."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

from django.conf import settings as django_settings

BASE_DIR = Path(django_settings.BASE_DIR)

_DUMP = """
import json
from config import settings as s
print(json.dumps({
    "engine": s.DATABASES["default"]["ENGINE"],
    "db_name": str(s.DATABASES["default"]["NAME"]),
    "db_options": s.DATABASES["default"].get("OPTIONS", {}),
    "secret_key": s.SECRET_KEY,
    "debug": s.DEBUG,
    "cache": s.CACHES["default"]["BACKEND"],
    "broker": "redis" if "redis" in s.Q_CLUSTER else "orm",
    "rate_limit": s.WEFT_RATE_LIMIT_PER_MINUTE,
    "max_body": s.WEFT_MAX_BODY_BYTES,
}))
"""


def load_settings(data_dir: Path, **env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    result = subprocess.run(
        [sys.executable, "-c", _DUMP],
        cwd=BASE_DIR,
        env={**clean, "WEFT_DATA_DIR": str(data_dir), **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_default_is_sqlite_under_data_dir_with_safe_defaults(tmp_path):
    values = load_settings(tmp_path)
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["db_name"] == str(tmp_path / "weft.sqlite3")
    assert (values["debug"], values["broker"]) == (False, "orm")
    assert values["cache"].endswith("LocMemCache")
    assert (values["rate_limit"], values["max_body"]) == (100, 10 * 1024 * 1024)


def test_secret_key_is_generated_once_and_kept_private(tmp_path):
    first = load_settings(tmp_path)["secret_key"]
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first) >= 50 and key_file.read_text().strip() == first
    assert load_settings(tmp_path)["secret_key"] == first


def test_environment_switches_to_postgres_and_redis(tmp_path):
    values = load_settings(
        tmp_path,
        DATABASE_URL="postgres://weft@db.internal:5432/weft",
        REDIS_URL="redis://cache.internal:6379/0",
        SECRET_KEY="k" * 60,
        WEFT_RATE_LIMIT_PER_MINUTE="0",
    )
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["cache"].endswith("RedisCache") and values["broker"] == "redis"
    assert values["secret_key"] == "k" * 60 and not (tmp_path / "secret_key").exists()
    assert values["rate_limit"] == 0
    assert values["db_options"] == {"options": "-c jit=off"}


def test_postgresql_options_in_the_url_replace_the_default(tmp_path):
    url = "postgres://weft@db.internal:5432/weft?options=-c%20statement_timeout%3D5000"
    values = load_settings(tmp_path, DATABASE_URL=url)
    assert values["db_options"] == {"options": "-c statement_timeout=5000"}


def variables_read_by_settings() -> set[str]:
    source = (BASE_DIR / "config" / "settings.py").read_text()
    return set(re.findall(r"env\.\w+\(\s*\"([A-Z][A-Z0-9_]*)\"", source))


def test_env_example_lists_every_variable():
    listed = set(
        re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", (BASE_DIR / ".env.example").read_text(), re.M)
    )
    assert variables_read_by_settings() - listed == set()
    assert len(variables_read_by_settings()) > 20


def test_configuration_doc_has_a_row_for_every_variable():
    rows = set(
        re.findall(
            r"^\| `([A-Z][A-Z0-9_]*)` \|",
            (BASE_DIR / "docs" / "configuration.md").read_text(),
            re.M,
        )
    )
    assert variables_read_by_settings() - rows == set()
