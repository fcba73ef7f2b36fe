"""The connection page and its actions: run, cancel, pause, resume, schedule, delete."""

from __future__ import annotations

import pytest

from connections.models import SourceConnection
from syncs.models import Entity, Sync, SyncJob
from syncs.services import sync_job_enqueue


def page(web, source_connection, suffix=""):
    return web.get(f"/connections/{source_connection.pk}/{suffix}")


def test_shows_status_schedule_counts_history_and_chart(web, connection_a):
    response = page(web, connection_a)
    assert response.status_code == 200
    content = response.content.decode()
    assert "badge-active" in content
    assert "Every day at" in content
    assert len(response.context["schedule"]["next_runs"]) == 5
    assert response.context["entities"]["total_entities"] == 3
    assert len(response.context["jobs"]) == 1
    assert "<svg" in content and "chart-inserted" in content
    assert "Run now" in content


def test_other_organization_connection_is_404_for_every_page_and_action(web, connection_b):
    for suffix in ("", "progress/", "delete/", "reauthenticate/"):
        assert page(web, connection_b, suffix).status_code == 404, suffix
    for suffix in ("run/", "pause/", "resume/", "schedule/", "delete/", "reauthenticate/"):
        response = web.post(f"/connections/{connection_b.pk}/{suffix}", {"schedule": "daily"})
        assert response.status_code == 404, suffix
    job = sync_job_enqueue(sync=connection_b.sync)
    response = web.post(f"/connections/{connection_b.pk}/jobs/{job.pk}/cancel/")
    assert response.status_code == 404
    assert SourceConnection.objects.filter(pk=connection_b.pk).exists()


def test_run_now_queues_a_job(web, connection_a):
    response = web.post(f"/connections/{connection_a.pk}/run/")
    assert response.status_code == 302
    assert SyncJob.objects.filter(source_connection=connection_a, status="pending").count() == 1
    assert "Sync queued." in page(web, connection_a).content.decode()


def test_run_while_a_job_is_active_shows_the_conflict(web, connection_a):
    sync_job_enqueue(sync=connection_a.sync)
    web.post(f"/connections/{connection_a.pk}/run/")
    assert "already pending or running" in page(web, connection_a).content.decode()


def test_active_job_polls_and_offers_cancel(web, connection_a):
    job = sync_job_enqueue(sync=connection_a.sync)
    content = page(web, connection_a).content.decode()
    assert 'hx-trigger="every 1s"' in content
    assert f"/jobs/{job.pk}/cancel/" in content


def test_cancel_a_pending_job(web, connection_a):
    job = sync_job_enqueue(sync=connection_a.sync)
    web.post(f"/connections/{connection_a.pk}/jobs/{job.pk}/cancel/")
    job.refresh_from_db()
    assert job.status == "cancelled"


def test_cancel_a_finished_job_is_an_error_message(web, connection_a):
    job = connection_a.sync.last_job
    web.post(f"/connections/{connection_a.pk}/jobs/{job.pk}/cancel/")
    assert "Cannot cancel job in completed state" in page(web, connection_a).content.decode()


def test_pause_and_resume(web, connection_a):
    web.post(f"/connections/{connection_a.pk}/pause/")
    sync = Sync.objects.get(pk=connection_a.sync.pk)
    assert sync.paused and "owner@acme.test" in sync.pause_reason
    assert "Resume schedule" in page(web, connection_a).content.decode()
    web.post(f"/connections/{connection_a.pk}/resume/")
    assert not Sync.objects.get(pk=connection_a.sync.pk).paused


def test_progress_partial_while_running_keeps_polling(web, connection_a):
    job = sync_job_enqueue(sync=connection_a.sync)
    job.start()
    SyncJob.objects.filter(pk=job.pk).update(entities_inserted=2)
    response = page(web, connection_a, "progress/?polling=1")
    content = response.content.decode()
    assert 'hx-trigger="every 1s"' in content
    assert response.context["progress"].percent == 66  # 2 of the 3 the last run processed
    assert "hx-swap-oob" not in content


def test_progress_partial_after_the_job_ends_refreshes_the_page_parts(web, connection_a):
    response = page(web, connection_a, "progress/?polling=1")
    content = response.content.decode()
    assert 'hx-trigger="every 1s"' not in content
    assert 'value="100"' in content
    assert content.count('hx-swap-oob="true"') == 4  # status, counts, chart, history


@pytest.mark.parametrize(
    ("data", "cron_check"),
    [
        ({"schedule": "custom", "cron": "0 6 * * 1"}, lambda cron: cron == "0 6 * * 1"),
        ({"schedule": "weekly"}, lambda cron: len(cron.split()) == 5 and cron[-1].isdigit()),
        ({"schedule": "manual"}, lambda cron: cron is None),
    ],
)
def test_save_schedule(web, connection_a, data, cron_check):
    response = web.post(f"/connections/{connection_a.pk}/schedule/", data)
    assert response.status_code == 302
    assert cron_check(Sync.objects.get(pk=connection_a.sync.pk).cron)


def test_invalid_schedule_is_shown_on_the_cron_field(web, connection_a):
    data = {"schedule": "custom", "cron": "61 * * * *"}
    response = web.post(f"/connections/{connection_a.pk}/schedule/", data)
    assert response.status_code == 422
    assert "Invalid CRON" in response.context["schedule_form"].errors["cron"][0]
    assert b'value="61 * * * *"' in response.content


def test_schedule_preview_in_plain_words_with_next_five_runs(web, org_a):
    response = web.get("/schedule-preview/", {"schedule": "custom", "cron": "0 6 * * 1"})
    content = response.content.decode()
    assert "Every Monday at 06:00 UTC" in content
    assert content.count("<li>") == 5


def test_schedule_preview_explains_a_bad_cron(web, org_a):
    response = web.get("/schedule-preview/", {"schedule": "custom", "cron": "nope"})
    assert "Invalid CRON" in response.content.decode()


def test_delete_asks_for_confirmation_then_deletes(web, connection_a):
    confirm = page(web, connection_a, "delete/")
    assert b"3 entities" in confirm.content
    assert SourceConnection.objects.filter(pk=connection_a.pk).exists()
    response = web.post(f"/connections/{connection_a.pk}/delete/")
    assert response["Location"] == "/collections/acme-docs/"
    assert not SourceConnection.objects.filter(pk=connection_a.pk).exists()
    assert not Entity.objects.filter(source_connection_id=connection_a.pk).exists()


def test_needs_reauth_shows_the_reauthenticate_action(web, connection_a):
    job = sync_job_enqueue(sync=connection_a.sync)
    job.start()
    job.fail("401 from the source", category=SyncJob.ErrorCategory.API_KEY_INVALID)
    content = page(web, connection_a).content.decode()
    assert "badge-needs_reauth" in content
    assert "401 from the source" in content


def test_no_credentials_page_for_a_source_without_credentials(web, connection_a):
    assert page(web, connection_a, "reauthenticate/").status_code == 404
    assert b"Update credentials" not in page(web, connection_a).content


def test_reauthenticate_form_for_a_source_with_credentials(web, org_a, monkeypatch):
    from connections import services
    from connections.sources.github import GitHubSource

    monkeypatch.setattr(GitHubSource, "validate", lambda self: None)
    source_connection = services.source_connection_create(
        organization=org_a.organization,
        data={
            "short_name": "github",
            "readable_collection_id": "acme-docs",
            "authentication": {"credentials": {"personal_access_token": "old-token"}},
            "config": {"repo_name": "acme/docs"},
            "sync_immediately": False,
        },
    )
    form_page = page(web, source_connection, "reauthenticate/")
    assert b'type="password"' in form_page.content
    response = web.post(
        f"/connections/{source_connection.pk}/reauthenticate/",
        {"auth_personal_access_token": "new-token"},
    )
    assert response.status_code == 302
    source_connection.refresh_from_db()
    assert source_connection.credential.secrets == {"personal_access_token": "new-token"}


def test_reauthenticate_with_a_blank_secret_keeps_the_old_one(web, org_a, monkeypatch):
    from connections import services
    from connections.sources.github import GitHubSource

    monkeypatch.setattr(GitHubSource, "validate", lambda self: None)
    source_connection = services.source_connection_create(
        organization=org_a.organization,
        data={
            "short_name": "github",
            "readable_collection_id": "acme-docs",
            "authentication": {"credentials": {"personal_access_token": "old-token"}},
            "config": {"repo_name": "acme/docs"},
            "sync_immediately": False,
        },
    )
    response = web.post(f"/connections/{source_connection.pk}/reauthenticate/", {})
    assert response.status_code == 422
    source_connection.refresh_from_db()
    assert source_connection.credential.secrets == {"personal_access_token": "old-token"}
