"""Cron schedules: validation, next runs, the default schedule and the hourly floor."""

from __future__ import annotations

from datetime import datetime, timedelta

from croniter import croniter

from connections.exceptions import FieldInvalid, InvalidRequest

MIN_INTERVAL_FOR_FULL_SYNC = timedelta(hours=1)
# Enough consecutive runs to see any sub-hourly gap a 5-field cron can express within a day.
_GAP_SAMPLES = 60 * 24 + 1


def validate_cron(cron: str, *, path: tuple[str, ...] = ("schedule", "cron")) -> str:
    cron = " ".join(cron.split())
    if len(cron.split(" ")) != 5 or not croniter.is_valid(cron):
        raise FieldInvalid.single(
            path, f"Invalid CRON expression: {cron!r}. Use 5 fields: minute hour day month weekday."
        )
    return cron


def next_run_after(cron: str, after: datetime) -> datetime:
    return croniter(cron, after).get_next(datetime)


def next_runs(cron: str, after: datetime, count: int) -> list[datetime]:
    iterator = croniter(cron, after)
    return [iterator.get_next(datetime) for _ in range(count)]


def is_sub_hourly(cron: str, start: datetime) -> bool:
    """True if any two consecutive runs within the next day are less than an hour apart."""
    iterator = croniter(cron, start)
    previous = iterator.get_next(datetime)
    horizon = previous + timedelta(days=1)
    for _ in range(_GAP_SAMPLES):
        current = iterator.get_next(datetime)
        if current - previous < MIN_INTERVAL_FOR_FULL_SYNC:
            return True
        if current > horizon:
            return False
        previous = current
    return False


def check_interval_allowed(cron: str, *, source_cls, now: datetime) -> None:
    if not source_cls.supports_continuous and is_sub_hourly(cron, now):
        raise InvalidRequest(
            f"Source '{source_cls.short_name}' does not support continuous syncs. "
            "Minimum interval is 1 hour."
        )


def default_cron(now: datetime) -> str:
    """Daily at the creation time (UTC)."""
    return f"{now.minute} {now.hour} * * *"
