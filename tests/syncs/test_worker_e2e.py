"""End to end: a real `manage.py qcluster` runs the jobs the API queues, and the sweeper ends
the job of a worker that was killed mid-run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from connections import services
from connections.models import SourceConnection
from syncs.engine import run_sync_job
from syncs.models import Entity, SyncJob
from syncs.services import sweep_stale_jobs, sync_job_enqueue

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{user}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def worker_env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": "",
        "WEFT_ENCRYPTION_KEYS": ",".join(settings.WEFT_ENCRYPTION_KEYS),
        "WEFT_INTERNAL_SOURCES": "true",
        "WEFT_WORKERS": "1",
        "WEFT_SYNC_BATCH_SIZE": "5",
        "LOG_LEVEL": "INFO",
        **extra,
    }


@contextmanager
def qcluster(log: Path, **env: str) -> Iterator[subprocess.Popen]:
    """A worker cluster in its own process group, so that it can be killed as a whole."""
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env=worker_env(**env),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield process
        finally:
            stop(process)


def stop(process: subprocess.Popen) -> None:
    """Ask the cluster to stop (it stops its own workers); kill the whole group if it lingers."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        kill(process)


def kill(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def wait_for(check: Callable[[], object], what: str, log: Path, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.2)
    raise AssertionError(f"Timed out waiting for {what}. Worker log:\n{log.read_text()}")


def job_when(source_connection_id, condition: Callable[[SyncJob], bool]):
    """A check for wait_for: the connection's latest job, once it meets the condition."""

    def check() -> SyncJob | None:
        job = SyncJob.objects.filter(source_connection_id=source_connection_id).first()
        return job if job is not None and condition(job) else None

    return check


def test_worker_runs_the_job_the_api_queued(live_server, org_a, tmp_path):
    api = httpx.Client(base_url=live_server.url, headers={"x-api-key": org_a.plaintext_key})
    body = {
        "short_name": "stub",
        "readable_collection_id": "acme-docs",
        "config": {"entity_count": 12},
    }
    created = api.post("/api/source-connections", json=body).json()
    assert created["sync"]["last_job"]["status"] == "pending"
    log = tmp_path / "qcluster.log"
    with qcluster(log):
        completed = job_when(created["id"], lambda job: job.status == "completed")
        job = wait_for(completed, "the job to complete", log)
    assert (job.entities_inserted, job.entities_failed) == (12, 0)
    jobs = api.get(f"/api/source-connections/{created['id']}/jobs").json()
    assert [(j["status"], j["entities_inserted"]) for j in jobs] == [("completed", 12)]


def slow_stub(tenant) -> SourceConnection:
    return services.source_connection_create(
        organization=tenant.organization,
        data={
            "short_name": "stub",
            "readable_collection_id": tenant.collection.readable_id,
            "config": {"entity_count": 400, "generation_delay_ms": 25},
            "sync_immediately": False,
        },
    )


def test_killed_worker_job_is_failed_by_the_sweeper_and_the_next_run_repairs(org_a, tmp_path):
    source_connection = slow_stub(org_a)
    job = sync_job_enqueue(sync=source_connection.sync)
    log = tmp_path / "qcluster.log"
    with qcluster(log) as process:
        first_batch = job_when(source_connection.pk, lambda job: job.entities_inserted >= 5)
        wait_for(first_batch, "the job to write its first batch", log)
        kill(process)
    assert SyncJob.objects.get(pk=job.pk).status == "running"
    assert sweep_stale_jobs(now=timezone.now() + timedelta(minutes=16))["failed"] == 1
    job.refresh_from_db()
    assert job.status == "failed" and "stopped responding" in job.error
    source_connection = SourceConnection.objects.with_sync().get(pk=source_connection.pk)
    assert source_connection.status == SourceConnection.Status.ERROR
    written = Entity.objects.filter(source_connection=source_connection).count()
    source_connection = services.source_connection_update(
        source_connection=source_connection, data={"config": {"entity_count": 400}}
    )
    repair = sync_job_enqueue(sync=source_connection.sync)
    assert run_sync_job(repair.pk) == "completed"
    repair.refresh_from_db()
    assert 5 <= written < 400
    assert (repair.entities_kept, repair.entities_inserted) == (written, 400 - written)
