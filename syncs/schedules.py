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


# --- Presets and plain words (the schedule editor of the web pages) --------------------------

PRESETS = ("hourly", "daily", "weekly")
_WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


def preset_cron(preset: str, now: datetime) -> str:
    """A preset as cron, anchored at ``now`` (UTC) so that schedules spread over the clock."""
    if preset == "hourly":
        return f"{now.minute} * * * *"
    if preset == "daily":
        return default_cron(now)
    if preset == "weekly":
        return f"{now.minute} {now.hour} * * {now.isoweekday() % 7}"
    raise ValueError(f"Unknown schedule preset {preset!r}; use one of {', '.join(PRESETS)}")


def describe_cron(cron: str | None) -> str:
    """A cron expression in plain words, for the common shapes; others are quoted as they are."""
    if not cron:
        return "Manual only: runs when someone presses Run now."
    fields = cron.split()
    if len(fields) != 5:
        return f"Custom schedule: {cron}"
    minute, hour, day, month, weekday = fields
    words = _describe_fields(minute, hour, day, month, weekday)
    return words or f"Custom schedule: {cron} (minute hour day month weekday, UTC)"


def _describe_fields(minute: str, hour: str, day: str, month: str, weekday: str) -> str | None:
    if month != "*":
        return None
    if minute.startswith("*/") and minute[2:].isdigit() and (hour, day, weekday) == ("*",) * 3:
        return f"Every {minute[2:]} minutes"
    if not minute.isdigit():
        return None
    if hour == "*" and (day, weekday) == ("*", "*"):
        return f"Every hour at {int(minute)} minutes past"
    if hour.startswith("*/") and hour[2:].isdigit() and (day, weekday) == ("*", "*"):
        return f"Every {hour[2:]} hours at {int(minute)} minutes past"
    if not hour.isdigit():
        return None
    at = f"at {int(hour):02d}:{int(minute):02d} UTC"
    if (day, weekday) == ("*", "*"):
        return f"Every day {at}"
    if day == "*" and weekday.isdigit() and int(weekday) <= 7:
        return f"Every {_WEEKDAYS[int(weekday) % 7]} {at}"
    if day == "*" and weekday == "1-5":
        return f"Every weekday (Monday to Friday) {at}"
    if day.isdigit() and weekday == "*":
        return f"On day {int(day)} of every month {at}"
    return None
