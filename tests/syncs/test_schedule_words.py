"""Schedule presets and plain-words descriptions (the web pages' schedule editor)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from syncs.schedules import describe_cron, preset_cron

NOW = datetime(2026, 3, 4, 14, 25, tzinfo=UTC)  # a Wednesday


@pytest.mark.parametrize(
    ("preset", "cron"),
    [("hourly", "25 * * * *"), ("daily", "25 14 * * *"), ("weekly", "25 14 * * 3")],
)
def test_presets_are_anchored_at_now(preset, cron):
    assert preset_cron(preset, NOW) == cron


def test_unknown_preset_is_refused():
    with pytest.raises(ValueError, match="Unknown schedule preset"):
        preset_cron("yearly", NOW)


@pytest.mark.parametrize(
    ("cron", "words"),
    [
        (None, "Manual only: runs when someone presses Run now."),
        ("*/15 * * * *", "Every 15 minutes"),
        ("5 * * * *", "Every hour at 5 minutes past"),
        ("0 */6 * * *", "Every 6 hours at 0 minutes past"),
        ("30 2 * * *", "Every day at 02:30 UTC"),
        ("25 14 * * 3", "Every Wednesday at 14:25 UTC"),
        ("0 9 * * 7", "Every Sunday at 09:00 UTC"),
        ("0 9 * * 1-5", "Every weekday (Monday to Friday) at 09:00 UTC"),
        ("0 4 1 * *", "On day 1 of every month at 04:00 UTC"),
    ],
)
def test_common_schedules_in_plain_words(cron, words):
    assert describe_cron(cron) == words


def test_other_schedules_are_quoted():
    assert describe_cron("0 4 1 1 *") == (
        "Custom schedule: 0 4 1 1 * (minute hour day month weekday, UTC)"
    )
