"""A local fake of GitHub's REST API, written from GitHub's public documentation.

It serves what the ``github`` source calls: repositories, branches, git trees (recursive or
not) and blobs, issues (pull requests included, as GitHub does), pull requests, issue comments
and review comments, with ``per_page``/``page`` pagination and ``Link`` headers, ``since``
filters, 401 "Bad credentials", 404 "Not Found", and injected rate limits: secondary (403/429
with ``Retry-After``) and primary (403 with ``x-ratelimit-remaining: 0`` and
``x-ratelimit-reset``). Every request is logged with its headers for the tests to inspect.

Start it with the ``github_server`` fixture; it listens on 127.0.0.1 on a free port.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.fakes.server import serving

VALID_TOKEN = "ghp_fake_valid_token_0123456789"


def _git_sha(kind: str, payload: bytes) -> str:
    return hashlib.sha1(f"{kind} {len(payload)}\0".encode() + payload).hexdigest()


@dataclass
class FakeRepo:
    id: int
    full_name: str
    default_branch: str = "main"
    description: str = ""
    branches: dict[str, str] = field(default_factory=dict)  # branch -> root tree sha
    trees: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)  # number -> issue/PR
    issue_comments: dict[int, dict[str, Any]] = field(default_factory=dict)
    review_comments: dict[int, dict[str, Any]] = field(default_factory=dict)


@dataclass
class LoggedRequest:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


class FakeGitHub:
    """The fake's state; the HTTP handler reads it. Helpers build repos, issues, comments."""

    def __init__(self) -> None:
        self.repos: dict[str, FakeRepo] = {}
        self.requests: list[LoggedRequest] = []
        self.injected: list[tuple[int, dict[str, str], dict[str, Any]]] = []
        self.truncate_recursive_trees = False
        self.lock = threading.Lock()
        self.base_url = ""
        # Tokens beyond VALID_TOKEN, e.g. those a fake OAuth provider issued and still honours.
        self.token_check: Callable[[str], bool] | None = None

    # --- building state -------------------------------------------------------------------

    def add_repo(self, full_name: str, files: dict[str, bytes | str], **attrs: Any) -> FakeRepo:
        repo = FakeRepo(id=1000 + len(self.repos), full_name=full_name, **attrs)
        self.repos[full_name.lower()] = repo
        self.set_files(full_name, files)
        return repo

    def set_files(self, full_name: str, files: dict[str, bytes | str], branch: str = "") -> str:
        """Commit ``files`` (path -> content) as the whole tree of ``branch``; returns its sha."""
        repo = self.repos[full_name.lower()]
        encoded = {p: c.encode() if isinstance(c, str) else c for p, c in files.items()}
        root = self._build_tree(repo, encoded)
        repo.branches[branch or repo.default_branch] = root
        return root

    def _build_tree(self, repo: FakeRepo, files: dict[str, bytes]) -> str:
        here: dict[str, bytes] = {}
        below: dict[str, dict[str, bytes]] = {}
        for path, content in files.items():
            head, _, rest = path.partition("/")
            if rest:
                below.setdefault(head, {})[rest] = content
            else:
                here[head] = content
        entries = []
        for name, content in here.items():
            sha = _git_sha("blob", content)
            repo.blobs[sha] = content
            entries.append(
                {"path": name, "mode": "100644", "type": "blob", "sha": sha, "size": len(content)}
            )
        for name, subfiles in below.items():
            sha = self._build_tree(repo, subfiles)
            entries.append({"path": name, "mode": "040000", "type": "tree", "sha": sha})
        entries.sort(key=lambda entry: entry["path"])
        sha = _git_sha("tree", json.dumps(entries, sort_keys=True).encode())
        repo.trees[sha] = entries
        return sha

    def add_issue(
        self, full_name: str, number: int, title: str, updated_at: str, **extra: Any
    ) -> dict[str, Any]:
        repo = self.repos[full_name.lower()]
        html = f"https://github.test/{repo.full_name}"
        is_pr = extra.pop("pull_request", False)
        issue = {
            "id": 500000 + number,
            "number": number,
            "title": title,
            "body": extra.pop("body", f"Body of {title}"),
            "state": extra.pop("state", "open"),
            "user": {"login": extra.pop("user", "octocat")},
            "labels": [{"name": name} for name in extra.pop("labels", [])],
            "assignees": [],
            "comments": 0,
            "created_at": extra.pop("created_at", "2025-01-01T00:00:00Z"),
            "updated_at": updated_at,
            "closed_at": None,
            "html_url": f"{html}/{'pull' if is_pr else 'issues'}/{number}",
            "url": f"{self.base_url}/repos/{repo.full_name}/issues/{number}",
            **extra,
        }
        if is_pr:
            issue["pull_request"] = {
                "url": f"{self.base_url}/repos/{repo.full_name}/pulls/{number}"
            }
            issue.update(
                draft=False,
                merged_at=None,
                head={"ref": f"feature-{number}"},
                base={"ref": repo.default_branch},
            )
        repo.issues[number] = issue
        return issue

    def add_issue_comment(
        self, full_name: str, comment_id: int, number: int, body: str, updated_at: str
    ) -> None:
        repo = self.repos[full_name.lower()]
        kind = "pull" if "pull_request" in repo.issues[number] else "issues"
        repo.issue_comments[comment_id] = {
            "id": comment_id,
            "body": body,
            "user": {"login": "hubot"},
            "created_at": updated_at,
            "updated_at": updated_at,
            "issue_url": f"{self.base_url}/repos/{repo.full_name}/issues/{number}",
            "html_url": f"https://github.test/{repo.full_name}/{kind}/{number}"
            f"#issuecomment-{comment_id}",
            "url": f"{self.base_url}/repos/{repo.full_name}/issues/comments/{comment_id}",
        }

    def add_review_comment(
        self, full_name: str, comment_id: int, number: int, body: str, updated_at: str
    ) -> None:
        repo = self.repos[full_name.lower()]
        repo.review_comments[comment_id] = {
            "id": comment_id,
            "body": body,
            "path": "src/app.py",
            "line": 3,
            "commit_id": "c" * 40,
            "user": {"login": "reviewer"},
            "created_at": updated_at,
            "updated_at": updated_at,
            "pull_request_url": f"{self.base_url}/repos/{repo.full_name}/pulls/{number}",
            "html_url": f"https://github.test/{repo.full_name}/pull/{number}"
            f"#discussion_r{comment_id}",
            "url": f"{self.base_url}/repos/{repo.full_name}/pulls/comments/{comment_id}",
        }

    # --- failures -------------------------------------------------------------------------

    def secondary_rate_limit(self, status: int = 403, retry_after: int = 1, times: int = 1):
        body = {
            "message": "You have exceeded a secondary rate limit. Please wait a few minutes "
            "before you try again.",
            "documentation_url": "https://docs.github.com/rest/using-the-rest-api/rate-limits",
        }
        for _ in range(times):
            self.injected.append((status, {"Retry-After": str(retry_after)}, body))

    def primary_rate_limit(self, reset_in: int = 2, times: int = 1) -> None:
        headers = {
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": str(int(time.time()) + reset_in),
        }
        body = {"message": "API rate limit exceeded for user ID 1."}
        for _ in range(times):
            self.injected.append((403, headers, body))

    def paths(self) -> list[str]:
        return [request.path for request in self.requests]


def _timestamp_at_least(items: list[dict[str, Any]], since: str | None) -> list[dict[str, Any]]:
    return [item for item in items if not since or item["updated_at"] >= since]


def _sort_updated(items: list[dict[str, Any]], direction: str) -> list[dict[str, Any]]:
    return sorted(items, key=lambda item: item["updated_at"], reverse=direction == "desc")


class _Handler(BaseHTTPRequestHandler):
    fake: FakeGitHub

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        with self.fake.lock:
            self.fake.requests.append(LoggedRequest(parts.path, query, dict(self.headers)))
            injected = self.fake.injected.pop(0) if self.fake.injected else None
        if injected:
            status, headers, body = injected
            return self._send(status, body, headers)
        if not self._authorized(self.headers.get("Authorization") or ""):
            return self._send(401, {"message": "Bad credentials", "status": "401"})
        self._route(parts.path, query)

    def _authorized(self, header: str) -> bool:
        if header in (f"Bearer {VALID_TOKEN}", f"token {VALID_TOKEN}"):
            return True
        check = self.fake.token_check
        return check is not None and header.startswith("Bearer ") and check(header[7:])

    def _route(self, path: str, query: dict[str, str]) -> None:
        segments = path.strip("/").split("/")
        if len(segments) < 3 or segments[0] != "repos":
            return self._not_found()
        repo = self.fake.repos.get(f"{segments[1]}/{segments[2]}".lower())
        if repo is None:
            return self._not_found()
        rest = segments[3:]
        match rest:
            case []:
                return self._send(200, self._repo_json(repo))
            case ["branches", branch] if branch in repo.branches:
                commit = {"sha": "f" * 40, "commit": {"tree": {"sha": repo.branches[branch]}}}
                return self._send(200, {"name": branch, "commit": commit})
            case ["git", "trees", ref]:
                return self._tree(repo, repo.branches.get(ref, ref), query)
            case ["git", "blobs", sha] if sha in repo.blobs:
                content = base64.encodebytes(repo.blobs[sha]).decode()
                payload = {"sha": sha, "size": len(repo.blobs[sha]), "content": content}
                return self._send(200, {**payload, "encoding": "base64"})
            case ["issues"]:
                items = _timestamp_at_least(list(repo.issues.values()), query.get("since"))
                return self._page(_sort_updated(items, query.get("direction", "desc")), query)
            case ["pulls"]:
                items = [issue for issue in repo.issues.values() if "pull_request" in issue]
                return self._page(_sort_updated(items, query.get("direction", "desc")), query)
            case ["issues", "comments"]:
                items = _timestamp_at_least(list(repo.issue_comments.values()), query.get("since"))
                return self._page(_sort_updated(items, query.get("direction", "asc")), query)
            case ["pulls", "comments"]:
                items = _timestamp_at_least(list(repo.review_comments.values()), query.get("since"))
                return self._page(_sort_updated(items, query.get("direction", "asc")), query)
        return self._not_found()

    def _repo_json(self, repo: FakeRepo) -> dict[str, Any]:
        return {
            "id": repo.id,
            "name": repo.full_name.split("/")[1],
            "full_name": repo.full_name,
            "description": repo.description,
            "default_branch": repo.default_branch,
            "html_url": f"https://github.test/{repo.full_name}",
            "url": f"{self.fake.base_url}/repos/{repo.full_name}",
            "language": "Python",
            "topics": ["demo"],
            "visibility": "public",
            "private": False,
            "stargazers_count": 3,
            "forks_count": 1,
            "open_issues_count": len(repo.issues),
            "created_at": "2024-06-01T00:00:00Z",
            "updated_at": "2025-01-05T00:00:00Z",
            "pushed_at": "2025-01-05T00:00:00Z",
        }

    def _tree(self, repo: FakeRepo, sha: str, query: dict[str, str]) -> None:
        if sha not in repo.trees:
            return self._not_found()
        if "recursive" not in query:
            return self._send(200, {"sha": sha, "tree": repo.trees[sha], "truncated": False})
        entries: list[dict[str, Any]] = []
        self._flatten(repo, sha, "", entries)
        truncated = self.fake.truncate_recursive_trees and len(entries) > 1
        if truncated:
            entries = entries[:1]
        self._send(200, {"sha": sha, "tree": entries, "truncated": truncated})

    def _flatten(self, repo: FakeRepo, sha: str, prefix: str, out: list) -> None:
        for entry in repo.trees[sha]:
            out.append({**entry, "path": prefix + entry["path"]})
            if entry["type"] == "tree":
                self._flatten(repo, entry["sha"], f"{prefix}{entry['path']}/", out)

    def _page(self, items: list[dict[str, Any]], query: dict[str, str]) -> None:
        per_page = min(int(query.get("per_page", 30)), 100)
        page = int(query.get("page", 1))
        chunk = items[(page - 1) * per_page : page * per_page]
        last = max(1, -(-len(items) // per_page))
        links = []
        if page < last:
            for rel, number in (("next", page + 1), ("last", last)):
                url = f"{self.fake.base_url}{urlsplit(self.path).path}?"
                links.append(f'<{url}{urlencode({**query, "page": number})}>; rel="{rel}"')
        self._send(200, chunk, {"Link": ", ".join(links)} if links else {})

    def _not_found(self) -> None:
        self._send(
            404,
            {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"},
        )

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        base = {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "4999"}
        for name, value in {**base, **(headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def github_server():
    """A running fake GitHub; ``.base_url`` is its API root (like https://api.github.com)."""
    with serving(FakeGitHub(), _Handler) as fake:
        yield fake
