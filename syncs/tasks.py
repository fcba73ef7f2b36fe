"""django-q2 task entry points: load by id, call one service, let errors propagate."""

from __future__ import annotations

from syncs import engine, services


def run_sync_job(job_id: str) -> str:
    return engine.run_sync_job(job_id)


def run_due_syncs() -> int:
    return services.run_due_syncs()


def sweep_stale_jobs() -> dict[str, int]:
    return services.sweep_stale_jobs()
