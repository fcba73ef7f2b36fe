"""The job chart of the connection page, laid out on the server and drawn as inline SVG.

One stacked bar per job (inserted, updated, deleted entities, left axis) and a line for the
duration (right axis); oldest job on the left.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from syncs.models import SyncJob

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 48, 12, 28
MAX_BAR_WIDTH = 28
SERIES = (
    ("entities_inserted", "inserted", "chart-inserted"),
    ("entities_updated", "updated", "chart-updated"),
    ("entities_deleted", "deleted", "chart-deleted"),
)


@dataclass
class Segment:
    y: float
    height: float
    css_class: str


@dataclass
class Bar:
    x: float
    width: float
    title: str
    segments: list[Segment] = field(default_factory=list)


@dataclass
class Chart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    bars: list[Bar]
    duration_points: str
    duration_dots: list[tuple[float, float]]
    max_entities: int
    max_duration: float

    @property
    def plot_height(self) -> int:
        return self.plot_bottom - self.plot_top


def _nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 5 x 10^n that is at least ``value`` (axes end on round numbers)."""
    if value <= 0:
        return 1
    magnitude = 1.0
    while magnitude * 10 < value:
        magnitude *= 10
    while magnitude > value:
        magnitude /= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def _title(job: SyncJob) -> str:
    duration = job.duration_seconds
    took = f", {duration:.1f} s" if duration is not None else ""
    return (
        f"{job.created_at:%Y-%m-%d %H:%M} UTC, {job.status}{took}: "
        f"{job.entities_inserted} inserted, {job.entities_updated} updated, "
        f"{job.entities_deleted} deleted"
    )


def job_chart(jobs: list[SyncJob]) -> Chart | None:
    """Lay out ``jobs`` (any order; drawn oldest first). None when there are none."""
    if not jobs:
        return None
    jobs = sorted(jobs, key=lambda job: job.created_at)
    max_entities = int(
        _nice_ceiling(max(sum(getattr(job, name) for name, _, _ in SERIES) for job in jobs))
    )
    max_duration = _nice_ceiling(max(job.duration_seconds or 0 for job in jobs))
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    slot = plot_width / len(jobs)
    bars, points = [], []
    for index, job in enumerate(jobs):
        x = LEFT + index * slot
        width = min(slot * 0.7, MAX_BAR_WIDTH)
        bar = Bar(x=round(x + (slot - width) / 2, 1), width=round(width, 1), title=_title(job))
        base = TOP + plot_height
        for name, _, css_class in SERIES:
            height = getattr(job, name) / max_entities * plot_height
            if height > 0:
                base -= height
                bar.segments.append(Segment(round(base, 1), round(height, 1), css_class))
        bars.append(bar)
        if job.duration_seconds is not None:
            y = TOP + plot_height - job.duration_seconds / max_duration * plot_height
            points.append((round(x + slot / 2, 1), round(y, 1)))
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        plot_top=TOP,
        plot_bottom=TOP + plot_height,
        bars=bars,
        duration_points=" ".join(f"{x},{y}" for x, y in points),
        duration_dots=points,
        max_entities=max_entities,
        max_duration=max_duration,
    )
