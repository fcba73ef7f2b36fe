"""The ``github`` source against a local fake of GitHub's REST API (tests/fakes/github.py)."""

from __future__ import annotations

import pytest

from connections.sources.base import EntityDeletion, SourceAuthError, SourceEntity, SourceError
from connections.sources.github import GitHubSource
from connections.sources.registry import get_source
from tests.fakes.github import VALID_TOKEN, FakeGitHub, github_server  # noqa: F401

REPO = "octo/hello"
FILES = {
    "README.md": "# Hello\nA demo repository.",
    "src/app.py": "print('hello')\n",
    "src/util/helpers.py": "def helper():\n    return 1\n",
    "docs/guide.md": "Read me first.",
    "assets/logo.png": b"\x89PNG\r\n\x1a\n",
    "data/blob.dat": b"bin\x00ary",
}


@pytest.fixture
def github(github_server) -> FakeGitHub:  # noqa: F811
    fake = github_server
    fake.add_repo(REPO, FILES, description="Demo")
    fake.add_issue(REPO, 1, "Crash on start", "2025-01-10T00:00:00Z", labels=["bug"])
    fake.add_issue(REPO, 2, "Add dark mode", "2025-01-11T00:00:00Z", pull_request=True)
    fake.add_issue(REPO, 3, "Docs typo", "2025-01-12T00:00:00Z", state="closed")
    fake.add_issue_comment(REPO, 71, 1, "Same here", "2025-01-10T01:00:00Z")
    fake.add_issue_comment(REPO, 72, 2, "Looks good", "2025-01-11T01:00:00Z")
    fake.add_review_comment(REPO, 81, 2, "Rename this", "2025-01-11T02:00:00Z")
    return fake


def _source(fake: FakeGitHub, cursor=None, token=VALID_TOKEN, sleeps=None, **config):
    source = GitHubSource(
        credentials={"personal_access_token": token},
        config={"repo_name": REPO, "base_url": fake.base_url, **config},
        cursor=cursor,
    )
    source.sleep = (sleeps if sleeps is not None else []).append
    return source


def _run(source: GitHubSource) -> tuple[dict[tuple[str, str], SourceEntity], list]:
    items = list(source.generate_entities())
    entities = {(i.entity_type, i.entity_id): i for i in items if isinstance(i, SourceEntity)}
    deletions = [(i.entity_type, i.entity_id) for i in items if isinstance(i, EntityDeletion)]
    return entities, deletions


def _ids(entities, entity_type: str) -> list[str]:
    return sorted(entity_id for kind, entity_id in entities if kind == entity_type)


def test_is_registered_with_a_secret_token():
    assert get_source("github") is GitHubSource
    assert GitHubSource.secret_field_names() == {"personal_access_token"}
    assert GitHubSource.supports_continuous


def test_sends_github_headers(github):
    _source(github).validate()
    headers = github.requests[0].headers
    assert headers["Authorization"] == f"Bearer {VALID_TOKEN}"
    assert headers["Accept"] == "application/vnd.github+json"
    assert headers["X-GitHub-Api-Version"] == "2022-11-28"


def test_full_sync_yields_repository_files_issues_pulls_and_comments(github):
    entities, deletions = _run(_source(github))
    assert deletions == []
    assert _ids(entities, "github_repository") == ["1000"]
    assert _ids(entities, "github_code_file") == [
        "README.md",
        "docs/guide.md",
        "src/app.py",
        "src/util/helpers.py",
    ]
    assert _ids(entities, "github_issue") == ["1", "3"]
    assert _ids(entities, "github_pull_request") == ["2"]
    assert _ids(entities, "github_issue_comment") == ["71", "72"]
    assert _ids(entities, "github_pr_review_comment") == ["81"]


def test_code_file_entity_has_content_breadcrumbs_and_links(github):
    entities, _ = _run(_source(github))
    helper = entities[("github_code_file", "src/util/helpers.py")]
    assert helper.name == "helpers.py"
    assert helper.text.startswith("def helper():")
    assert [(b.entity_type, b.name) for b in helper.breadcrumbs] == [
        ("github_repository", REPO),
        ("github_directory", "src"),
        ("github_directory", "util"),
    ]
    assert helper.web_url == f"https://github.test/{REPO}/blob/main/src/util/helpers.py"
    assert helper.fields["branch"] == "main" and helper.fields["size"] == len(helper.text)


def test_issue_pull_and_comment_entities(github):
    entities, _ = _run(_source(github))
    issue = entities[("github_issue", "1")]
    assert issue.name == "#1 Crash on start"
    assert issue.fields["labels"] == ["bug"] and issue.fields["state"] == "open"
    assert issue.updated_at.isoformat() == "2025-01-10T00:00:00+00:00"
    pull = entities[("github_pull_request", "2")]
    assert pull.fields["head"] == "feature-2" and pull.fields["base"] == "main"
    comment = entities[("github_issue_comment", "72")]
    assert comment.fields == {"number": 2, "author": "hubot", "on_pull_request": True}
    assert comment.breadcrumbs[1].entity_type == "github_pull_request"
    review = entities[("github_pr_review_comment", "81")]
    assert review.fields["path"] == "src/app.py" and review.text == "Rename this"


def test_lists_are_paginated_with_link_headers(github, monkeypatch):
    monkeypatch.setattr("connections.sources.github.PER_PAGE", 1)
    entities, _ = _run(_source(github))
    assert _ids(entities, "github_issue") == ["1", "3"]
    issue_pages = [r.query.get("page") for r in github.requests if r.path.endswith("/issues")]
    assert issue_pages == [None, "2", "3"]


def test_configured_branch_is_read(github):
    github.set_files(REPO, {"NOTES.md": "on the branch"}, branch="release")
    entities, _ = _run(_source(github, branch="release"))
    assert _ids(entities, "github_code_file") == ["NOTES.md"]
    assert entities[("github_code_file", "NOTES.md")].fields["branch"] == "release"


def test_truncated_tree_is_walked_one_subtree_at_a_time(github):
    github.truncate_recursive_trees = True
    entities, _ = _run(_source(github))
    assert len(_ids(entities, "github_code_file")) == 4


def test_bad_token_is_auth_error_without_the_token(github):
    with pytest.raises(SourceAuthError) as caught:
        _source(github, token="ghp_wrong_secret_value").validate()
    assert "HTTP 401" in str(caught.value) and "Bad credentials" in str(caught.value)
    assert "ghp_wrong_secret_value" not in str(caught.value)


def test_missing_repository_is_source_error(github):
    source = _source(github)
    source.config["repo_name"] = "octo/missing"
    with pytest.raises(SourceError, match="Repository octo/missing not found") as caught:
        source.validate()
    assert not isinstance(caught.value, SourceAuthError)


def test_missing_branch_is_source_error(github):
    with pytest.raises(SourceError, match="Branch 'nope' not found"):
        _source(github, branch="nope").validate()


@pytest.mark.parametrize("status", [403, 429])
def test_secondary_rate_limit_is_waited_out_then_succeeds(github, status):
    github.secondary_rate_limit(status=status, retry_after=3)
    sleeps: list[float] = []
    entities, _ = _run(_source(github, sleeps=sleeps))
    assert sleeps == [3.0]
    assert len(_ids(entities, "github_code_file")) == 4


def test_primary_rate_limit_waits_until_reset(github):
    github.primary_rate_limit(reset_in=5)
    sleeps: list[float] = []
    _source(github, sleeps=sleeps).validate()
    assert len(sleeps) == 1 and 4 <= sleeps[0] <= 7


def test_rate_limit_that_never_lifts_fails_with_clear_error(github):
    github.secondary_rate_limit(retry_after=1, times=10)
    sleeps: list[float] = []
    with pytest.raises(SourceError, match=r"HTTP 403 \(You have exceeded a secondary rate limit"):
        _source(github, sleeps=sleeps).validate()
    assert len(sleeps) == 4


def _full_then_incremental(github: FakeGitHub, change) -> tuple[dict, list, GitHubSource]:
    first = _source(github)
    _run(first)
    github.requests.clear()
    change()
    second = _source(github, cursor=first.cursor)
    assert second.is_incremental
    entities, deletions = _run(second)
    return entities, deletions, second


def test_incremental_sync_reads_only_changed_files_and_reports_deleted_ones(github):
    def change():
        files = {k: v for k, v in FILES.items() if k != "docs/guide.md"}
        files["src/app.py"] = "print('hello, world')\n"
        files["src/new.py"] = "x = 1\n"
        github.set_files(REPO, files)

    entities, deletions, _ = _full_then_incremental(github, change)
    assert _ids(entities, "github_code_file") == ["src/app.py", "src/new.py"]
    assert deletions == [("github_code_file", "docs/guide.md")]
    blob_reads = [r.path for r in github.requests if "/git/blobs/" in r.path]
    assert len(blob_reads) == 2
    # The unchanged "src/util" subtree was not even listed.
    repo = github.repos[REPO]
    src = next(e for e in repo.trees[repo.branches["main"]] if e["path"] == "src")
    util = next(e for e in repo.trees[src["sha"]] if e["path"] == "util")
    assert not any(path.endswith(util["sha"]) for path in github.paths())
    assert any(path.endswith(src["sha"]) for path in github.paths())


def test_incremental_sync_with_nothing_changed_reads_no_files(github):
    entities, deletions, _ = _full_then_incremental(github, lambda: None)
    assert _ids(entities, "github_code_file") == [] and deletions == []
    assert not any("/git/" in path for path in github.paths())


def test_incremental_sync_reads_issues_and_comments_updated_since_the_mark(github):
    def change():
        github.add_issue(REPO, 3, "Docs typo fixed", "2025-02-01T00:00:00Z", state="closed")
        github.add_issue(REPO, 4, "New PR", "2025-02-02T00:00:00Z", pull_request=True)
        github.add_issue_comment(REPO, 73, 1, "Still broken", "2025-02-03T00:00:00Z")

    entities, _, second = _full_then_incremental(github, change)
    # Items at a saved mark are read again (the marks are inclusive): PR 2, comment 72.
    assert _ids(entities, "github_issue") == ["3"]
    assert entities[("github_issue", "3")].name == "#3 Docs typo fixed"
    assert _ids(entities, "github_pull_request") == ["2", "4"]
    assert _ids(entities, "github_issue_comment") == ["72", "73"]
    issues_query = next(r.query for r in github.requests if r.path.endswith("/issues"))
    assert issues_query["since"] == "2025-01-12T00:00:00Z"
    assert second.cursor["issues_since"] == "2025-02-02T00:00:00Z"
    assert second.cursor["pulls_since"] == "2025-02-02T00:00:00Z"
    assert second.cursor["comments_since"] == "2025-02-03T00:00:00Z"


def test_changing_the_branch_means_a_full_sync(github):
    first = _source(github)
    _run(first)
    assert not _source(github, cursor=first.cursor, branch="main").is_incremental
    assert _source(github, cursor=first.cursor).is_incremental


def test_token_from_oauth_credentials(github):
    source = GitHubSource(
        credentials={"access_token": VALID_TOKEN},
        config={"repo_name": REPO, "base_url": github.base_url},
    )
    source.validate()
    assert "oauth_token" in GitHubSource.auth_methods


def test_forbidden_without_rate_limit_signs_is_auth_error(github):
    body = {"message": "Resource not accessible by personal access token"}
    github.injected.append((403, {}, body))
    sleeps: list[float] = []
    with pytest.raises(SourceAuthError, match="Resource not accessible"):
        _source(github, sleeps=sleeps).validate()
    assert sleeps == []


def test_incremental_sync_when_the_old_tree_is_gone_reads_every_file(github):
    first = _source(github)
    _run(first)
    cursor = {**first.cursor, "tree_sha": "0" * 40}  # force-pushed away and collected
    entities, deletions = _run(_source(github, cursor=cursor))
    assert len(_ids(entities, "github_code_file")) == 4
    # Without the old tree nothing can be known deleted; only unindexable paths are dropped.
    assert not set(deletions) & set(entities)
