"""Per-organization rate limiting over a sliding 60-second window.

The sliding window is approximated from two fixed windows (the current one and the one before,
weighted by how much of it still overlaps the last 60 seconds). Counters live in the database
or in Redis, so every web process of a deployment shares them. On PostgreSQL the counter table
is UNLOGGED (migration 0004): a request's count need not wait for the WAL to reach disk.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.db import connection

WINDOW_SECONDS = 60


@dataclass(frozen=True)
class RateLimitResult:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int


def _window_counts_db(org_id: str, window_start: int) -> tuple[int, int]:
    from connections.models import RateLimitWindow

    table = RateLimitWindow._meta.db_table
    org_value = org_id if connection.vendor == "postgresql" else org_id.replace("-", "")
    with connection.cursor() as cursor:
        # One statement, so one round trip and one (atomic) write per request: count this
        # request and read the window before, which the upsert never touches.
        cursor.execute(
            f"INSERT INTO {table} (organization_id, window_start, count) VALUES (%s, %s, 1) "
            f"ON CONFLICT (organization_id, window_start) "
            f"DO UPDATE SET count = {table}.count + 1 "
            f"RETURNING count, (SELECT p.count FROM {table} p "
            f"WHERE p.organization_id = %s AND p.window_start = %s)",
            [org_value, window_start, org_value, window_start - WINDOW_SECONDS],
        )
        current, previous = cursor.fetchone()
    if current == 1:
        # First hit of a new window: drop windows too old to matter.
        RateLimitWindow.objects.filter(window_start__lt=window_start - WINDOW_SECONDS).delete()
    return current, previous or 0


@lru_cache(maxsize=4)
def _redis_client(url: str):
    import redis

    return redis.Redis.from_url(url)


def _window_counts_redis(org_id: str, window_start: int) -> tuple[int, int]:
    key = f"weft:ratelimit:{org_id}:{window_start}"
    previous_key = f"weft:ratelimit:{org_id}:{window_start - WINDOW_SECONDS}"
    pipe = _redis_client(settings.REDIS_URL).pipeline()
    pipe.incr(key)
    pipe.expire(key, WINDOW_SECONDS * 2 + 5)
    pipe.get(previous_key)
    current, _, previous = pipe.execute()
    return int(current), int(previous or 0)


def seconds_until_allowed(limit: int, current: int, previous: int, elapsed: float) -> float:
    """Seconds until one more request fits under the limit, if nothing else is sent meanwhile.

    ``current`` already includes the refused request; the retry adds one more to it.
    """
    if current < limit and previous > 0:
        # previous * (1 - t/60) + current + 1 <= limit
        #   =>  t >= 60 * (1 - (limit - current - 1) / previous)
        return WINDOW_SECONDS * (1 - (limit - current - 1) / previous) - elapsed
    # The current window alone is full: wait for it to end, then for its weight (as the
    # previous window) to decay until current * (1 - t/60) + 1 <= limit.
    return (WINDOW_SECONDS - elapsed) + WINDOW_SECONDS * (1 - (limit - 1) / current)


def hit(org_id: str, *, limit: int | None = None, now: float | None = None) -> RateLimitResult:
    """Count one request for an organization and say whether it is within the limit."""
    limit = settings.WEFT_RATE_LIMIT_PER_MINUTE if limit is None else limit
    now = time.time() if now is None else now
    window_start = int(now // WINDOW_SECONDS) * WINDOW_SECONDS
    elapsed = now - window_start
    counter = _window_counts_redis if settings.REDIS_URL else _window_counts_db
    current, previous = counter(str(org_id), window_start)
    # Rounded so float noise cannot refuse a request that lands exactly on the limit.
    weighted = round(previous * (1 - elapsed / WINDOW_SECONDS) + current, 6)
    allowed = weighted <= limit
    remaining = max(0, math.floor(limit - weighted))
    if allowed:
        reset = WINDOW_SECONDS - elapsed
    else:
        reset = seconds_until_allowed(limit, current, previous, elapsed)
    return RateLimitResult(allowed, limit, remaining, max(1, math.ceil(round(reset, 6))))
