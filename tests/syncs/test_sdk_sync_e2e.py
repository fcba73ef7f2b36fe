"""The issue's "done when", through the official Airweave SDK against a live server and a real
`manage.py qcluster`: a ``files`` connection synced, changed and re-synced, and a long ``stub``
job cancelled, each read back through the job history."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from airweave import AirweaveSDK
from airweave.types import DirectAuthentication, SourceConnectionJob

from tests.syncs.test_worker_e2e import qcluster, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sdk(live_server, org_a) -> Iterator[AirweaveSDK]:
    with httpx.Client(timeout=10, follow_redirects=False) as http:
        yield AirweaveSDK(
            api_key=org_a.plaintext_key, base_url=live_server.url + "/api", httpx_client=http
        )


@pytest.fixture
def root(tmp_path, settings) -> Path:
    """An allowed files root, for the server (settings) and the worker (environment)."""
    root = tmp_path / "files"
    root.mkdir()
    settings.WEFT_FILES_ROOTS = [root]
    return root


def latest_job(
    sdk: AirweaveSDK, source_connection_id: str, condition: Callable[[SourceConnectionJob], bool]
) -> Callable[[], SourceConnectionJob | None]:
    """A check for wait_for, through the SDK: the newest job, once it meets the condition."""

    def check() -> SourceConnectionJob | None:
        jobs = sdk.source_connections.get_source_connection_jobs(source_connection_id, limit=1)
        return jobs[0] if jobs and condition(jobs[0]) else None

    return check


def completed(job: SourceConnectionJob) -> bool:
    return job.status == "completed"


def write(path: Path, text: str, mtime: float | None = None) -> None:
    path.write_text(text)
    if mtime is not None:
        os.utime(path, (mtime, mtime))


def counts(job: SourceConnectionJob) -> tuple[int | None, ...]:
    return (job.entities_inserted, job.entities_updated, job.entities_deleted, job.entities_failed)


def test_files_connection_syncs_then_resyncs_changes_through_the_sdk(sdk, root, tmp_path):
    write(root / "a.md", "alpha")
    write(root / "b.md", "beta")
    write(root / "notes.txt", "gamma")
    (root / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    created = sdk.source_connections.create(
        short_name="files",
        readable_collection_id="acme-docs",
        config={"path": str(root)},
        authentication=DirectAuthentication(credentials={}),
    )
    assert (created.auth.method, created.sync.last_job.status) == ("direct", "pending")
    log = tmp_path / "qcluster.log"
    with qcluster(log, WEFT_FILES_ROOTS=str(root)):
        first = wait_for(latest_job(sdk, created.id, completed), "the first job", log)
        write(root / "a.md", "alpha, revised", mtime=2_000_000_000)
        (root / "b.md").unlink()
        write(root / "c.md", "delta")
        second_id = sdk.source_connections.run(created.id).id
        second = wait_for(latest_job(sdk, created.id, completed), "the second job", log)
    assert counts(first) == (3, 0, 0, 1)
    assert (second.id, counts(second)) == (second_id, (1, 1, 1, 0))
    history = sdk.source_connections.get_source_connection_jobs(created.id)
    assert [job.id for job in history] == [second.id, first.id]


def test_long_stub_job_is_cancelled_through_the_sdk(sdk, tmp_path):
    created = sdk.source_connections.create(
        short_name="stub",
        readable_collection_id="acme-docs",
        config={"entity_count": 5000, "generation_delay_ms": 20},
    )
    log = tmp_path / "qcluster.log"
    with qcluster(log):
        writing = latest_job(sdk, created.id, lambda job: (job.entities_inserted or 0) >= 5)
        job = wait_for(writing, "the job to write its first batches", log)
        assert sdk.source_connections.cancel_job(created.id, job.id).status == "cancelling"
        cancelled = latest_job(sdk, created.id, lambda job: job.status == "cancelled")
        job = wait_for(cancelled, "the job to stop", log)
    assert 5 <= job.entities_inserted < 5000
    assert sdk.source_connections.get(created.id).status == "active"
    history = sdk.source_connections.get_source_connection_jobs(created.id)
    assert [(j.id, j.status) for j in history] == [(job.id, "cancelled")]
