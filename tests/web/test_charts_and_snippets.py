"""The server-side job chart and the search snippet highlighter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from syncs.models import SyncJob
from web.charts import job_chart
from web.search import highlight

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def job(minutes: int, inserted: int, updated: int = 0, seconds: float | None = 10) -> SyncJob:
    started = T0 + timedelta(minutes=minutes)
    return SyncJob(
        status="completed",
        created_at=started,
        started_at=started,
        completed_at=started + timedelta(seconds=seconds) if seconds is not None else None,
        entities_inserted=inserted,
        entities_updated=updated,
    )


def test_no_jobs_no_chart():
    assert job_chart([]) is None


def test_bars_oldest_first_scaled_to_a_round_maximum():
    chart = job_chart([job(2, 30, 10), job(1, 70)])
    assert chart.max_entities == 100
    first, second = chart.bars
    assert first.x < second.x
    assert first.segments[0].height == round(70 / 100 * chart.plot_height, 1)
    assert [s.css_class for s in second.segments] == ["chart-inserted", "chart-updated"]
    assert len(chart.duration_dots) == 2


def test_running_job_has_a_bar_but_no_duration_point():
    chart = job_chart([job(1, 5), job(2, 3, seconds=None)])
    assert len(chart.bars) == 2
    assert len(chart.duration_dots) == 1


def test_highlight_escapes_html_and_marks_words():
    snippet = highlight("<b>Deploy</b> the deployment", ["deploy"])
    assert snippet == "&lt;b&gt;<mark>Deploy</mark>&lt;/b&gt; the <mark>deploy</mark>ment"


def test_highlight_windows_long_text_around_the_first_match():
    text = "a " * 500 + "needle " + "b " * 500
    snippet = highlight(text, ["needle"], length=60)
    assert snippet.startswith("…") and snippet.endswith("…")
    assert "<mark>needle</mark>" in snippet
