"""connections.ratelimit: the sliding-window math and the shared (database, Redis) counters."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from connections import ratelimit
from connections.ratelimit import hit, seconds_until_allowed

# The database store is raw SQL (upsert, UUIDs as hex on SQLite): run it on every engine.
pytestmark = pytest.mark.dbspecific

BASE_DIR = Path(django_settings.BASE_DIR)
REDIS_TEST_URL = "redis://127.0.0.1:6379/15"
W0 = 1_800_000_000  # the start of a fixed window (a multiple of 60)
W1 = W0 + 60


def hits(org: str, count: int, *, limit: int, now: float) -> ratelimit.RateLimitResult:
    results = [hit(org, limit=limit, now=now) for _ in range(count)]
    return results[-1]


@pytest.fixture
def org_ids() -> list[str]:
    """The organization ids one test used."""
    return []


@pytest.fixture
def new_org(org_ids):
    """Random organization ids, so tests (and concurrent test runs) never share a counter."""

    def make() -> str:
        org_ids.append(str(uuid.uuid4()))
        return org_ids[-1]

    return make


@pytest.fixture
def redis_store(settings, org_ids):
    import redis

    settings.REDIS_URL = REDIS_TEST_URL
    client = redis.Redis.from_url(REDIS_TEST_URL)
    yield client
    # Only this test's keys: another test run may be using the same Redis database.
    for org in org_ids:
        keys = list(client.scan_iter(f"weft:ratelimit:{org}:*"))
        if keys:
            client.delete(*keys)


@pytest.fixture(params=["database", "redis"])
def store(request, settings, db):
    """Runs a test once against each counter store."""
    if request.param == "redis":
        request.getfixturevalue("redis_store")
    else:
        settings.REDIS_URL = ""
    return request.param


# --- The math ------------------------------------------------------------------------------


def test_retry_wait_counts_the_retry_itself():
    # previous=10 weighs 0.9 at 6 s; current=2 (with the refused one). The retry is allowed once
    # 10 * (1 - t/60) + 3 <= 10, i.e. at t = 18 s: 12 s from now.
    assert seconds_until_allowed(10, 2, 10, 6) == pytest.approx(12)


def test_retry_wait_when_current_window_alone_is_full():
    # 6 requests against a limit of 5 at 10 s: wait 50 s for the window to end, then until
    # 6 * (1 - t/60) + 1 <= 5, i.e. 20 s more.
    assert seconds_until_allowed(5, 6, 0, 10) == pytest.approx(70)


def test_retry_wait_with_limit_one_is_a_full_window_after_this_one():
    assert seconds_until_allowed(1, 1, 0, 15) == pytest.approx(45 + 60)


# --- Counting and weighting (each store) ---------------------------------------------------


def test_requests_up_to_the_limit_are_allowed(store, new_org):
    org = new_org()
    results = [hit(org, limit=3, now=W0 + 5) for _ in range(4)]
    assert [r.allowed for r in results] == [True, True, True, False]
    assert [r.remaining for r in results] == [2, 1, 0, 0]


def test_previous_window_is_weighted_by_its_overlap(store, new_org):
    org = new_org()
    hits(org, 40, limit=100, now=W0 + 30)
    assert hit(org, limit=100, now=W1 + 15).remaining == 100 - (30 + 1)  # 40 * 0.75 + 1
    assert hit(org, limit=100, now=W1 + 45).remaining == 100 - (10 + 2)  # 40 * 0.25 + 2


def test_window_two_back_no_longer_counts(store, new_org):
    org = new_org()
    hits(org, 50, limit=10, now=W0)
    assert hit(org, limit=10, now=W1 + 60).allowed


def test_reset_when_allowed_is_the_end_of_the_window(store, new_org):
    assert hit(new_org(), limit=5, now=W0 + 20.5).reset_seconds == 40


def test_organizations_are_counted_separately(store, new_org):
    busy, quiet = new_org(), new_org()
    assert not hits(busy, 4, limit=3, now=W0).allowed
    assert hit(quiet, limit=3, now=W0).remaining == 2


@pytest.mark.parametrize("limit", [1, 4, 10])
@pytest.mark.parametrize("previous_factor", [0, 1, 3])
@pytest.mark.parametrize("elapsed", [0, 20, 59.5])
@pytest.mark.parametrize("overshoot", [1, 3])
def test_retry_after_the_advised_wait_is_allowed(
    db, limit, previous_factor, elapsed, overshoot, new_org
):
    org, now = new_org(), W1 + elapsed
    if previous_factor:
        hits(org, limit * previous_factor, limit=limit, now=W0 + 1)
    result = hit(org, limit=limit, now=now)
    while result.allowed:
        result = hit(org, limit=limit, now=now)
    refused = hits(org, overshoot, limit=limit, now=now) if overshoot > 1 else result
    assert hit(org, limit=limit, now=now + refused.reset_seconds).allowed


def test_retry_a_second_before_the_advised_wait_is_refused(db, new_org):
    org = new_org()
    hits(org, 10, limit=10, now=W0 + 1)
    refused = hits(org, 2, limit=10, now=W1 + 6)
    assert refused.reset_seconds == 12
    assert not hit(org, limit=10, now=W1 + 6 + 11).allowed


# --- Shared across processes ---------------------------------------------------------------

_WORKER = """
import os, pathlib, sys, time
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()
from connections import ratelimit
from connections.models import RateLimitWindow
from django.db import connection
if sys.argv[1] == "create-table":
    with connection.schema_editor() as editor:
        editor.create_model(RateLimitWindow)
    sys.exit(0)
org, count, now, barrier, parties = sys.argv[1:]
# Wait until every worker is ready, so their requests really interleave.
pathlib.Path(barrier, str(os.getpid())).touch()
while len(list(pathlib.Path(barrier).iterdir())) < int(parties):
    time.sleep(0.01)
for _ in range(int(count)):
    result = ratelimit.hit(org, limit=1_000_000, now=float(now))
print(result.remaining)
"""


def run_workers(
    env: dict[str, str], tmp_path: Path, org: str, count: int, parties: int
) -> list[str]:
    barrier = tmp_path / f"barrier-{uuid.uuid4().hex}"
    barrier.mkdir()
    args = [sys.executable, "-c", _WORKER, org, str(count), str(W0 + 1), str(barrier), str(parties)]
    processes = [
        subprocess.Popen(args, cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(parties)
    ]
    outputs = [p.communicate(timeout=60)[0].strip() for p in processes]
    assert all(p.returncode == 0 for p in processes)
    return outputs


def worker_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {**os.environ, "WEFT_DATA_DIR": str(tmp_path), "REDIS_URL": ""}
    return {**env, **overrides}


@pytest.fixture
def database_store_env(transactional_db, tmp_path) -> dict[str, str]:
    """Environment for worker processes sharing one database counter table."""
    from django.db import connection

    if connection.vendor == "postgresql":
        db = connection.settings_dict
        user = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        url = f"postgres://{user}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        return worker_env(tmp_path, DATABASE_URL=url)
    # An in-memory test database cannot be shared: give the workers a file of their own.
    env = worker_env(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'ratelimit.sqlite3'}")
    create = [sys.executable, "-c", _WORKER, "create-table"]
    subprocess.run(create, cwd=BASE_DIR, env=env, check=True)
    return env


def test_database_count_holds_across_processes(database_store_env, tmp_path, new_org):
    org = new_org()
    run_workers(database_store_env, tmp_path, org, count=150, parties=2)
    [remaining] = run_workers(database_store_env, tmp_path, org, count=1, parties=1)
    assert int(remaining) == 1_000_000 - 301


def test_redis_count_holds_across_processes(redis_store, tmp_path, new_org):
    org = new_org()
    run_workers(worker_env(tmp_path, REDIS_URL=REDIS_TEST_URL), tmp_path, org, 150, parties=2)
    assert hit(org, limit=1_000_000, now=W0 + 1).remaining == 1_000_000 - 301


def test_redis_store_writes_no_database_rows(redis_store, db, new_org):
    from connections.models import RateLimitWindow

    org = new_org()
    hits(org, 3, limit=10, now=W0)
    assert not RateLimitWindow.objects.filter(organization_id=org).exists()
    assert list(redis_store.scan_iter(f"weft:ratelimit:{org}:*"))
