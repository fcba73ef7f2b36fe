"""``github``: a repository, its code and docs files on one branch, issues, pull requests and
their comments, through GitHub's REST API (github.com or GitHub Enterprise via ``base_url``).

Requests carry ``Authorization: Bearer <token>``, ``Accept: application/vnd.github+json`` and
``X-GitHub-Api-Version: 2022-11-28``; lists are read 100 a page following ``Link`` headers.
Rate limits are waited out as GitHub documents: ``Retry-After`` when present, else until
``x-ratelimit-reset`` when ``x-ratelimit-remaining`` is 0, else a minute for a secondary limit;
a wait longer than the helper's ``max_wait`` fails the run with a clear message instead.

Files: the branch's tree (``git/trees/<sha>?recursive=1``, walked subtree by subtree when GitHub
truncates it), each blob fetched by sha. Symlinks, submodules, files over ``MAX_FILE_BYTES``,
known binary extensions and content with NUL bytes are skipped.

Incremental runs
----------------
Git is content-addressed, so the cursor keeps only the root tree sha of the last run. An
incremental run compares the old and the new root tree entry by entry and descends only into
subtrees whose sha changed: new or changed blobs are fetched, paths that disappeared (or became
unreadable: binary, too large) are yielded as deletions. If the old tree is gone (a force-push
followed by garbage collection), the whole new tree is read instead, without deletions.

Issues and issue comments are read with ``since=<last updated_at seen>`` (sorted by update,
ascending), review comments likewise, and pull requests newest-updated first until one older
than the saved mark. ``since`` is inclusive, so the boundary item is read again and kept as
unchanged by the engine. GitHub offers no feed of deleted comments, so the source runs a full
pass when the last one is older than ``FULL_SYNC_INTERVAL``; the engine then removes what is
gone. Changing ``repo_name``, ``branch`` or ``base_url`` also starts over with a full run.
"""

from __future__ import annotations

import base64
import binascii
import posixpath
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from connections.sources.base import (
    BaseSource,
    Breadcrumb,
    EntityDeletion,
    SourceEntity,
    SourceError,
    SourceField,
)
from connections.sources.http import (
    BearerAuth,
    HttpClient,
    HttpError,
    Retry,
    default_classify,
    parse_retry_after,
)
from connections.sources.registry import register

DEFAULT_BASE_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
PER_PAGE = 100
MAX_FILE_BYTES = 1024 * 1024
FULL_SYNC_INTERVAL = timedelta(days=7)
CURSOR_VERSION = 1
SECONDARY_LIMIT_WAIT = 60.0
SYMLINK_MODE = "120000"

BINARY_EXTENSIONS = frozenset(
    """
    .png .jpg .jpeg .gif .bmp .ico .icns .webp .tif .tiff .psd .ai .sketch .fig .heic
    .zip .gz .tgz .bz2 .xz .7z .rar .tar .jar .war .whl .egg .deb .rpm .dmg .iso .apk .ipa
    .exe .dll .so .dylib .a .o .obj .lib .bin .class .pyc .pyo .wasm .node
    .woff .woff2 .ttf .otf .eot .mp3 .mp4 .mov .avi .mkv .webm .wav .flac .ogg .m4a
    .pdf .doc .docx .xls .xlsx .ppt .pptx .odt .ods .sqlite .db .parquet .avro .pkl .npy .npz
    .pt .onnx .h5 .ckpt .safetensors
    """.split()
)


def github_classify(response: httpx.Response) -> Retry | None:
    """GitHub's rate-limit answers (403 or 429) mean "wait"; any other 403 refuses the token."""
    if response.status_code not in (403, 429):
        return default_classify(response)
    headers = response.headers
    if headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset"):
        try:
            return Retry(max(0.0, float(headers["x-ratelimit-reset"]) - time.time()) + 1)
        except ValueError:
            pass
    retry_after = parse_retry_after(headers.get("retry-after"))
    if retry_after is not None:
        return Retry(retry_after)
    if response.status_code == 429 or "rate limit" in response.text.lower():
        return Retry(SECONDARY_LIMIT_WAIT)
    return None


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _login(item: dict[str, Any]) -> str | None:
    return (item.get("user") or {}).get("login")


def _number_from_url(url: str | None) -> int | None:
    tail = (url or "").rstrip("/").rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else None


@register
class GitHubSource(BaseSource):
    name = "GitHub"
    short_name = "github"
    description = "A GitHub repository: code and docs, issues, pull requests and comments."
    auth_methods = ("direct", "oauth_browser", "oauth_token", "oauth_byoc", "auth_provider")
    # OAuth apps' tokens do not expire; a GitHub App's user tokens do and are refreshed.
    oauth_type = "access_only"
    oauth_provider = "github"
    oauth_scopes = ("repo", "read:org")
    labels = ("Code",)
    supports_continuous = True
    entity_types = (
        "github_repository",
        "github_code_file",
        "github_issue",
        "github_pull_request",
        "github_issue_comment",
        "github_pr_review_comment",
    )
    volatile_fields = ("stars", "forks", "open_issues", "pushed_at")
    auth_fields = (
        SourceField(
            "personal_access_token",
            "Personal access token",
            "string",
            "A classic or fine-grained token with read access to the repository.",
            required=True,
            is_secret=True,
        ),
    )
    config_fields = (
        SourceField(
            "repo_name",
            "Repository",
            "string",
            "owner/name",
            required=True,
            pattern=r"[A-Za-z0-9-]+/[A-Za-z0-9._-]+",
        ),
        SourceField("branch", "Branch", "string", "Default: the repository's default branch."),
        SourceField(
            "base_url",
            "API base URL",
            "string",
            "For GitHub Enterprise Server: https://HOST/api/v3",
            default=DEFAULT_BASE_URL,
            pattern=r"https?://[^\s/?#]+(/[^\s?#]*)?",
        ),
    )

    # Tests make waits instant and may swap the transport; the engine leaves them as they are.
    sleep: Callable[[float], Any] = staticmethod(time.sleep)
    transport: httpx.BaseTransport | None = None

    @property
    def token(self) -> str:
        return self._token(False)

    def _token(self, force_refresh: bool) -> str:
        """A personal access token, or the current OAuth token (refreshed when due)."""
        credentials = self.current_credentials(force_refresh=force_refresh)
        return credentials.get("personal_access_token") or credentials.get("access_token", "")

    @property
    def repo_name(self) -> str:
        return self.config["repo_name"]

    @property
    def is_incremental(self) -> bool:
        if not (super().is_incremental and self.cursor.get("setup") == self._setup()):
            return False
        last_full = _parse_time(self.cursor.get("full_sync_at"))
        return last_full is not None and datetime.now(UTC) - last_full < FULL_SYNC_INTERVAL

    def validate(self) -> None:
        with self._client() as http:
            self._repository(http)
            if self.config.get("branch"):
                self._tree_sha(http, self.config["branch"])

    def generate_entities(self) -> Iterator[SourceEntity | EntityDeletion]:
        incremental = self.is_incremental
        previous = self.cursor if incremental else {}
        started = datetime.now(UTC).isoformat()
        cursor: dict[str, Any] = {
            "version": CURSOR_VERSION,
            "setup": self._setup(),
            "full_sync_at": previous.get("full_sync_at", started),
        }
        with self._client() as http:
            repo = self._repository(http)
            crumb = Breadcrumb(str(repo["id"]), repo["full_name"], "github_repository")
            yield self._repository_entity(repo)
            yield from self._files(http, repo, crumb, previous.get("tree_sha"), cursor)
            yield from self._threads(http, crumb, previous, cursor)
        self.cursor = cursor

    # --- plumbing -----------------------------------------------------------------------------

    def _setup(self) -> dict[str, Any]:
        return {
            "repo_name": self.repo_name.lower(),
            "branch": self.config.get("branch") or None,
            "base_url": self._base_url(),
        }

    def _base_url(self) -> str:
        return (self.config.get("base_url") or DEFAULT_BASE_URL).rstrip("/")

    def _client(self) -> HttpClient:
        return HttpClient(
            base_url=self._base_url(),
            headers={
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
            },
            classify=github_classify,
            secrets=[self.token],
            sleep=self.sleep,
            transport=self.transport,
            auth=BearerAuth(self._token, refreshable=self.credentials_provider is not None),
        )

    def _repo_path(self, suffix: str = "") -> str:
        owner, name = self.repo_name.split("/", 1)
        return f"/repos/{quote(owner)}/{quote(name)}{suffix}"

    def _repository(self, http: HttpClient) -> dict[str, Any]:
        try:
            return http.get_json(self._repo_path())
        except HttpError as error:
            if error.status_code == 404:
                raise SourceError(
                    f"Repository {self.repo_name} not found, or the token cannot see it."
                ) from None
            raise

    def _tree_sha(self, http: HttpClient, branch: str) -> str:
        sha = self._branch_tree_sha(http, branch)
        if sha is None:
            raise SourceError(f"Branch '{branch}' not found in {self.repo_name}.")
        return sha

    def _branch_tree_sha(self, http: HttpClient, branch: str) -> str | None:
        try:
            data = http.get_json(self._repo_path(f"/branches/{quote(branch, safe='')}"))
        except HttpError as error:
            if error.status_code == 404:
                return None
            raise
        return data["commit"]["commit"]["tree"]["sha"]

    def _pages(self, http: HttpClient, suffix: str, **params: Any) -> Iterator[dict[str, Any]]:
        params = {"per_page": PER_PAGE, **{k: v for k, v in params.items() if v is not None}}
        yield from http.iter_items(self._repo_path(suffix), params=params)

    # --- repository and files -----------------------------------------------------------------

    def _repository_entity(self, repo: dict[str, Any]) -> SourceEntity:
        description = repo.get("description") or ""
        return SourceEntity(
            entity_id=str(repo["id"]),
            entity_type="github_repository",
            name=repo["full_name"],
            text="\n\n".join(part for part in (repo["full_name"], description) if part),
            fields={
                "full_name": repo["full_name"],
                "description": description,
                "default_branch": repo.get("default_branch"),
                "language": repo.get("language"),
                "topics": repo.get("topics") or [],
                "visibility": repo.get("visibility"),
                "stars": repo.get("stargazers_count"),
                "forks": repo.get("forks_count"),
                "open_issues": repo.get("open_issues_count"),
                "pushed_at": repo.get("pushed_at"),
            },
            web_url=repo.get("html_url", ""),
            url=repo.get("url", ""),
            created_at=_parse_time(repo.get("created_at")),
            updated_at=_parse_time(repo.get("updated_at")),
        )

    def _files(
        self,
        http: HttpClient,
        repo: dict[str, Any],
        crumb: Breadcrumb,
        old_tree: str | None,
        cursor: dict[str, Any],
    ) -> Iterator[SourceEntity | EntityDeletion]:
        branch = self.config.get("branch") or repo["default_branch"]
        if self.config.get("branch"):
            tree_sha = self._tree_sha(http, branch)
        elif (tree_sha := self._branch_tree_sha(http, branch)) is None:
            return  # an empty repository has no default branch yet
        cursor["tree_sha"] = tree_sha
        for change, entry in self._file_changes(http, old_tree, tree_sha):
            entity = self._file_entity(http, repo, crumb, branch, entry) if change else None
            if entity is not None:
                yield entity
            elif old_tree:
                yield EntityDeletion(entity_id=entry["path"], entity_type="github_code_file")

    def _file_changes(
        self, http: HttpClient, old_tree: str | None, new_tree: str
    ) -> Iterator[tuple[bool, dict[str, Any]]]:
        """(True, entry) for each blob to read, (False, entry) for each path gone."""
        if old_tree == new_tree:
            return
        if old_tree:
            try:
                old_entries = self._tree(http, old_tree)
            except HttpError as error:
                if error.status_code not in (404, 409, 422):
                    raise
            else:
                yield from self._diff(http, old_entries, self._tree(http, new_tree), "")
                return
        yield from ((True, entry) for entry in self._all_blobs(http, new_tree, ""))

    def _tree(self, http: HttpClient, sha: str) -> list[dict[str, Any]]:
        return http.get_json(self._repo_path(f"/git/trees/{sha}"))["tree"]

    def _all_blobs(self, http: HttpClient, sha: str, prefix: str) -> Iterator[dict[str, Any]]:
        data = http.get_json(self._repo_path(f"/git/trees/{sha}"), params={"recursive": "1"})
        if not data.get("truncated"):
            for entry in data["tree"]:
                if entry["type"] == "blob":
                    yield {**entry, "path": prefix + entry["path"]}
            return
        # Too big for one answer: GitHub says to fetch one subtree at a time instead.
        for entry in self._tree(http, sha):
            path = prefix + entry["path"]
            if entry["type"] == "tree":
                yield from self._all_blobs(http, entry["sha"], path + "/")
            elif entry["type"] == "blob":
                yield {**entry, "path": path}

    def _diff(
        self,
        http: HttpClient,
        old_entries: list[dict[str, Any]],
        new_entries: list[dict[str, Any]],
        prefix: str,
    ) -> Iterator[tuple[bool, dict[str, Any]]]:
        """Changes between two trees, descending only into subtrees whose sha differs."""
        old = {entry["path"]: entry for entry in old_entries}
        for entry in new_entries:
            before = old.pop(entry["path"], None)
            if before is not None and before["sha"] == entry["sha"]:
                continue
            path = prefix + entry["path"]
            if entry["type"] == "tree" and before is not None and before["type"] == "tree":
                old_sub, new_sub = self._tree(http, before["sha"]), self._tree(http, entry["sha"])
                yield from self._diff(http, old_sub, new_sub, path + "/")
                continue
            if before is not None and before["type"] != entry["type"]:
                yield from self._gone(http, before, path)
            if entry["type"] == "tree":
                yield from (
                    (True, blob) for blob in self._all_blobs(http, entry["sha"], path + "/")
                )
            elif entry["type"] == "blob":
                yield True, {**entry, "path": path}
        for name, before in old.items():
            yield from self._gone(http, before, prefix + name)

    def _gone(
        self, http: HttpClient, entry: dict[str, Any], path: str
    ) -> Iterator[tuple[bool, dict[str, Any]]]:
        if entry["type"] == "blob":
            yield False, {**entry, "path": path}
        elif entry["type"] == "tree":
            yield from ((False, blob) for blob in self._all_blobs(http, entry["sha"], path + "/"))

    def _file_entity(
        self,
        http: HttpClient,
        repo: dict[str, Any],
        crumb: Breadcrumb,
        branch: str,
        entry: dict[str, Any],
    ) -> SourceEntity | None:
        """The file as an entity, or None when it is not one to index (binary, too big...)."""
        path = entry["path"]
        if entry.get("mode") == SYMLINK_MODE or (entry.get("size") or 0) > MAX_FILE_BYTES:
            return None
        if posixpath.splitext(path)[1].lower() in BINARY_EXTENSIONS:
            return None
        text = self._blob_text(http, entry["sha"], path)
        if text is None:
            return None
        parts = path.split("/")
        return SourceEntity(
            entity_id=path,
            entity_type="github_code_file",
            name=parts[-1],
            text=text,
            breadcrumbs=[crumb]
            + [
                Breadcrumb("/".join(parts[: i + 1]) + "/", part, "github_directory")
                for i, part in enumerate(parts[:-1])
            ],
            fields={
                "path": path,
                "sha": entry["sha"],
                "size": entry.get("size"),
                "branch": branch,
                "extension": posixpath.splitext(path)[1].lower(),
            },
            web_url=f"{repo['html_url']}/blob/{quote(branch)}/{quote(path)}",
            url=self._base_url() + self._repo_path(f"/git/blobs/{entry['sha']}"),
        )

    def _blob_text(self, http: HttpClient, sha: str, path: str) -> str | None:
        """The blob as text, or None when it is binary."""
        blob = http.get_json(self._repo_path(f"/git/blobs/{sha}"))
        try:
            raw = base64.b64decode(blob.get("content") or "")
        except (binascii.Error, ValueError):
            raise SourceError(f"GitHub sent an unreadable blob for {path}.") from None
        if b"\x00" in raw[:8192]:
            return None
        return raw.decode("utf-8", errors="replace")

    # --- issues, pull requests, comments ------------------------------------------------------

    def _updated_since(
        self,
        http: HttpClient,
        suffix: str,
        mark: str,
        previous: dict[str, Any],
        cursor: dict[str, Any],
        **params: Any,
    ) -> Iterator[dict[str, Any]]:
        """Items updated at or after the saved ``mark``, oldest first; moves the mark along."""
        since = previous.get(mark)
        cursor[mark] = since
        items = self._pages(http, suffix, sort="updated", direction="asc", since=since, **params)
        for item in items:
            cursor[mark] = max(cursor[mark] or "", item["updated_at"])
            yield item

    def _threads(
        self,
        http: HttpClient,
        crumb: Breadcrumb,
        previous: dict[str, Any],
        cursor: dict[str, Any],
    ) -> Iterator[SourceEntity]:
        issues = self._updated_since(http, "/issues", "issues_since", previous, cursor, state="all")
        for issue in issues:
            # The issues list includes pull requests; they come from /pulls with their details.
            if "pull_request" not in issue:
                yield self._issue_entity(issue, crumb)
        yield from self._pulls(http, crumb, previous, cursor)
        comments = self._updated_since(http, "/issues/comments", "comments_since", previous, cursor)
        for comment in comments:
            yield self._comment_entity(comment, crumb)
        reviews = self._updated_since(
            http, "/pulls/comments", "review_comments_since", previous, cursor
        )
        for comment in reviews:
            yield self._review_comment_entity(comment, crumb)

    def _pulls(
        self,
        http: HttpClient,
        crumb: Breadcrumb,
        previous: dict[str, Any],
        cursor: dict[str, Any],
    ) -> Iterator[SourceEntity]:
        """Pull requests, newest update first (the endpoint has no ``since``)."""
        since = previous.get("pulls_since")
        cursor["pulls_since"] = since
        items = self._pages(http, "/pulls", state="all", sort="updated", direction="desc")
        for pull in items:
            # Everything after an item older than the mark is older too.
            if since and pull["updated_at"] < since:
                break
            cursor["pulls_since"] = max(cursor["pulls_since"] or "", pull["updated_at"])
            yield self._pull_entity(pull, crumb)

    def _issue_entity(self, issue: dict[str, Any], crumb: Breadcrumb) -> SourceEntity:
        extra = {"state_reason": issue.get("state_reason"), "comments": issue.get("comments")}
        return self._thread_entity(issue, "github_issue", crumb, extra)

    def _pull_entity(self, pull: dict[str, Any], crumb: Breadcrumb) -> SourceEntity:
        extra = {
            "draft": pull.get("draft"),
            "merged_at": pull.get("merged_at"),
            "head": (pull.get("head") or {}).get("ref"),
            "base": (pull.get("base") or {}).get("ref"),
        }
        return self._thread_entity(pull, "github_pull_request", crumb, extra)

    def _thread_entity(
        self, item: dict[str, Any], entity_type: str, crumb: Breadcrumb, extra: dict[str, Any]
    ) -> SourceEntity:
        """An issue or a pull request: the same thread shape with a few fields of its own."""
        return SourceEntity(
            entity_id=str(item["number"]),
            entity_type=entity_type,
            name=f"#{item['number']} {item['title']}",
            text=f"{item['title']}\n\n{item.get('body') or ''}".strip(),
            breadcrumbs=[crumb],
            fields={
                "number": item["number"],
                "title": item["title"],
                "state": item.get("state"),
                "author": _login(item),
                "labels": [label.get("name") for label in item.get("labels") or []],
                "assignees": [user.get("login") for user in item.get("assignees") or []],
                "closed_at": item.get("closed_at"),
                **extra,
            },
            web_url=item.get("html_url", ""),
            url=item.get("url", ""),
            created_at=_parse_time(item.get("created_at")),
            updated_at=_parse_time(item.get("updated_at")),
        )

    def _comment_entity(self, comment: dict[str, Any], crumb: Breadcrumb) -> SourceEntity:
        number = _number_from_url(comment.get("issue_url"))
        on_pull = "/pull/" in (comment.get("html_url") or "")
        parent_type = "github_pull_request" if on_pull else "github_issue"
        return SourceEntity(
            entity_id=str(comment["id"]),
            entity_type="github_issue_comment",
            name=f"Comment on #{number} by {_login(comment)}",
            text=comment.get("body") or "",
            breadcrumbs=[crumb, Breadcrumb(str(number), f"#{number}", parent_type)],
            fields={"number": number, "author": _login(comment), "on_pull_request": on_pull},
            web_url=comment.get("html_url", ""),
            url=comment.get("url", ""),
            created_at=_parse_time(comment.get("created_at")),
            updated_at=_parse_time(comment.get("updated_at")),
        )

    def _review_comment_entity(self, comment: dict[str, Any], crumb: Breadcrumb) -> SourceEntity:
        number = _number_from_url(comment.get("pull_request_url"))
        return SourceEntity(
            entity_id=str(comment["id"]),
            entity_type="github_pr_review_comment",
            name=f"Review comment on #{number} by {_login(comment)}",
            text=comment.get("body") or "",
            breadcrumbs=[crumb, Breadcrumb(str(number), f"#{number}", "github_pull_request")],
            fields={
                "number": number,
                "author": _login(comment),
                "path": comment.get("path"),
                "line": comment.get("line"),
                "commit_id": comment.get("commit_id"),
            },
            web_url=comment.get("html_url", ""),
            url=comment.get("url", ""),
            created_at=_parse_time(comment.get("created_at")),
            updated_at=_parse_time(comment.get("updated_at")),
        )
