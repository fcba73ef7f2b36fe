"""Add a source: the catalog, then a form generated from the source's declared fields."""

from __future__ import annotations

import re

from connections.models import SourceConnection


def test_catalog_lists_sources_with_initials_and_labels(web, org_a):
    response = web.get("/collections/acme-docs/sources/")
    assert response.status_code == 200
    names = [source.short_name for source in response.context["sources"]]
    assert {"files", "github", "stub"} <= set(names)
    assert b'class="initials"' in response.content
    assert b'<span class="label">Code</span>' in response.content


def test_catalog_search_returns_the_matching_list(web, org_a):
    response = web.get("/collections/acme-docs/sources/", {"q": "code"}, HTTP_HX_REQUEST="true")
    assert [source.short_name for source in response.context["sources"]] == ["github"]
    assert response.templates[0].name == "web/partials/source_list.html"


def test_catalog_of_other_organization_collection_is_404(web, org_b):
    assert web.get("/collections/globex-docs/sources/").status_code == 404
    assert web.get("/collections/globex-docs/sources/stub/").status_code == 404


def test_unknown_source_is_404(web, org_a):
    assert web.get("/collections/acme-docs/sources/nope/").status_code == 404


def test_form_is_generated_from_declared_fields(web, org_a):
    content = web.get("/collections/acme-docs/sources/github/").content.decode()
    assert 'type="password" name="auth_personal_access_token"' in content
    assert 'name="config_repo_name"' in content and "owner/name" in content
    assert 'name="access_token"' in content  # github also takes an OAuth token
    assert 'value="https://api.github.com"' in content  # declared default
    assert 'name="schedule"' in content and "Hourly" in content


def test_required_fields_are_marked(web, org_a):
    content = web.get("/collections/acme-docs/sources/files/").content.decode()
    assert 'name="config_path"' in content
    assert "(required)" in content
    tag = re.search(r'<input[^>]*name="config_path"[^>]*>', content).group(0)
    assert " required" in tag


def test_create_stub_connection_goes_to_its_page(web, org_a):
    data = {
        "name": "Demo stub",
        "config_entity_count": "4",
        "schedule": "hourly",
        "sync_immediately": "on",
    }
    response = web.post("/collections/acme-docs/sources/stub/", data)
    source_connection = SourceConnection.objects.get(name="Demo stub")
    assert response["Location"] == f"/connections/{source_connection.pk}/"
    assert source_connection.config["entity_count"] == 4
    assert source_connection.sync.cron.endswith(" * * * *")
    assert source_connection.sync.last_job.status == "pending"


def test_manual_schedule_and_no_first_sync(web, org_a):
    data = {"name": "Manual stub", "schedule": "manual"}
    web.post("/collections/acme-docs/sources/stub/", data)
    source_connection = SourceConnection.objects.get(name="Manual stub")
    assert source_connection.sync.cron is None
    assert source_connection.sync.last_job is None


def test_service_errors_are_next_to_fields_and_secrets_never_echoed(web, org_a):
    data = {
        "auth_method": "direct",
        "auth_personal_access_token": "ghp_secret_value_123",
        "config_repo_name": "not a repo",
        "schedule": "daily",
    }
    response = web.post("/collections/acme-docs/sources/github/", data)
    assert response.status_code == 422
    assert "config_repo_name" in response.context["form"].errors
    assert b'value="not a repo"' in response.content
    assert b"ghp_secret_value_123" not in response.content


def test_config_refused_by_the_source_is_shown_on_that_field(web, org_a):
    data = {"config_path": "../../etc", "schedule": "daily"}
    response = web.post("/collections/acme-docs/sources/files/", data)
    assert response.status_code == 422
    assert "config_path" in response.context["form"].errors


def test_bad_custom_cron_is_shown_on_the_cron_field(web, org_a):
    data = {"schedule": "custom", "cron": "every day"}
    response = web.post("/collections/acme-docs/sources/stub/", data)
    assert response.status_code == 422
    assert "Invalid CRON" in response.context["form"].errors["cron"][0]
    assert b'value="every day"' in response.content


def test_sub_hourly_cron_refused_for_a_source_without_continuous_sync(web, org_a):
    data = {"schedule": "custom", "cron": "*/5 * * * *"}
    response = web.post("/collections/acme-docs/sources/stub/", data)
    assert response.status_code == 400
    assert b"Minimum interval is 1 hour" in response.content


def test_create_in_other_organization_collection_is_404(web, org_b):
    response = web.post("/collections/globex-docs/sources/stub/", {"schedule": "daily"})
    assert response.status_code == 404
    assert not SourceConnection.objects.exists()
