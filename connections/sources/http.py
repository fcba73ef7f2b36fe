"""The one HTTP helper every source uses: timeouts, retries with backoff, Link pagination.

``HttpClient`` wraps an ``httpx.Client`` (sync API). A request is retried on network errors and
on 429/5xx answers with exponential backoff (capped, with jitter); a ``Retry-After`` header (in
seconds or as an HTTP date) is honoured instead of the backoff. After the last attempt, or for
any other error status, it raises ``HttpError`` (a ``SourceError``) or, for 401/403,
``HttpAuthError`` (a ``SourceAuthError``). Messages name the method, the URL path and the
status, never a header, a query string or a secret.

Sources with their own rate-limit signals (GitHub's 403 with ``x-ratelimit-remaining: 0``) pass
a ``classify`` function that says which answers mean "wait and retry" and for how long.
Tests pass ``transport=httpx.MockTransport(...)`` and ``sleep=`` to make waits instant.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from connections.sources.base import SourceAuthError, SourceError

logger = logging.getLogger("weft.sources.http")

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
AUTH_STATUSES = frozenset({401, 403})
USER_AGENT = "Weft (+https://github.com/weft)"


class HttpError(SourceError):
    """A request failed for good: an error status, or the retries ran out."""

    def __init__(self, message: str, *, path: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.status_code = status_code


class HttpAuthError(HttpError, SourceAuthError):
    """The server refused the credentials (HTTP 401 or 403)."""


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: attempts in all, the backoff curve, and the longest wait accepted."""

    max_attempts: int = 5
    backoff_base: float = 1.0
    backoff_cap: float = 60.0
    # A server asking for a longer pause than this fails the run rather than holding a worker
    # (and outliving the sweeper's heartbeat limit); the next scheduled run tries again.
    max_wait: float = 300.0

    def backoff(self, attempt: int, jitter: Callable[[], float]) -> float:
        """Exponential delay after failed ``attempt`` (1-based), capped, with "equal jitter"."""
        delay = min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
        return delay / 2 + delay / 2 * jitter()


@dataclass(frozen=True)
class Retry:
    """A response that means "try again"; ``delay`` is what the server asked for, if anything."""

    delay: float | None = None


Classifier = Callable[[httpx.Response], Retry | None]


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def default_classify(response: httpx.Response) -> Retry | None:
    """Retry 429 and 5xx answers, after ``Retry-After`` when the server sent one."""
    if response.status_code in RETRY_STATUSES:
        return Retry(parse_retry_after(response.headers.get("retry-after")))
    return None


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text


class BearerAuth(httpx.Auth):
    """``Authorization: Bearer <token>``, the token read before every request.

    ``token(force_refresh)`` gives the token to use; after a 401 it is asked once for a fresh
    one (an OAuth refresh) and the request is sent again. A second 401 stands.
    """

    def __init__(self, token: Callable[[bool], str], *, refreshable: bool = False) -> None:
        self.token = token
        self.refreshable = refreshable

    def auth_flow(self, request: httpx.Request):
        sent = self.token(False)
        request.headers["Authorization"] = f"Bearer {sent}"
        response = yield request
        if response.status_code != 401 or not self.refreshable:
            return
        fresh = self.token(True)
        if fresh and fresh != sent:
            request.headers["Authorization"] = f"Bearer {fresh}"
            yield request


class HttpClient:
    """An ``httpx.Client`` with Weft's timeouts, retries and error messages.

    ``secrets`` are scrubbed from any server text quoted in an error message.
    """

    def __init__(
        self,
        *,
        base_url: str = "",
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        policy: RetryPolicy | None = None,
        classify: Classifier = default_classify,
        secrets: Iterable[str] = (),
        sleep: Callable[[float], Any] = time.sleep,
        jitter: Callable[[], float] = random.random,
        transport: httpx.BaseTransport | None = None,
        auth: httpx.Auth | None = None,
    ) -> None:
        self.policy = policy or RetryPolicy()
        self.classify = classify
        self.secrets = tuple(s for s in secrets if s)
        self.sleep = sleep
        self.jitter = jitter
        self._client = httpx.Client(
            base_url=base_url,
            headers={"User-Agent": USER_AGENT, **(headers or {})},
            timeout=timeout,
            transport=transport,
            auth=auth,
            # httpx drops the Authorization header when a redirect leaves the origin.
            follow_redirects=True,
        )

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send with retries; returns a 2xx response or raises ``HttpError``/``HttpAuthError``."""
        request = self._client.build_request(method, url, **kwargs)
        path = request.url.path
        attempts = self.policy.max_attempts
        for attempt in range(1, attempts + 1):
            try:
                response = self._client.send(request)
            except httpx.TransportError as exc:
                if attempt == attempts:
                    raise HttpError(
                        f"{method} {path}: could not reach {request.url.host} "
                        f"({exc.__class__.__name__}) after {attempts} attempts",
                        path=path,
                    ) from None
                self._wait(attempt, None, f"{method} {path}: {exc.__class__.__name__}")
                continue
            retry = self.classify(response)
            if retry is None:
                if response.is_success:
                    return response
                raise self._status_error(method, path, response)
            response.close()
            if attempt == attempts:
                raise HttpError(
                    f"{method} {path} answered HTTP {response.status_code} "
                    f"({self._reason(response)}) after {attempts} attempts",
                    path=path,
                    status_code=response.status_code,
                )
            self._check_wait(method, path, response, retry)
            self._wait(attempt, retry.delay, f"{method} {path}: HTTP {response.status_code}")
        raise AssertionError("unreachable")  # pragma: no cover

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def get_json(self, url: str, **kwargs: Any) -> Any:
        return self.get(url, **kwargs).json()

    def paginate(
        self, url: str, *, params: Mapping[str, Any] | None = None
    ) -> Iterator[httpx.Response]:
        """Yield each page, following ``Link: <...>; rel="next"`` until there is none."""
        first = self._client.build_request("GET", url, params=params).url
        response = self.get(url, params=params)
        yield response
        while next_url := response.links.get("next", {}).get("url"):
            absolute = first.join(next_url)
            if (absolute.scheme, absolute.host, absolute.port) != (
                first.scheme,
                first.host,
                first.port,
            ):
                # Following it would send our credentials to another server.
                raise HttpError(
                    f"GET {first.path}: refused a pagination link to another host",
                    path=first.path,
                )
            response = self.get(str(absolute))
            yield response

    def iter_items(
        self, url: str, *, params: Mapping[str, Any] | None = None, key: str | None = None
    ) -> Iterator[Any]:
        """Yield the items of every page: the JSON list itself, or the list under ``key``."""
        for page in self.paginate(url, params=params):
            data = page.json()
            yield from (data[key] if key is not None else data)

    def _wait(self, attempt: int, asked: float | None, what: str) -> None:
        delay = asked if asked is not None else self.policy.backoff(attempt, self.jitter)
        logger.info("%s; retrying in %.1fs (attempt %d)", what, delay, attempt + 1)
        self.sleep(delay)

    def _check_wait(self, method: str, path: str, response: httpx.Response, retry: Retry) -> None:
        if retry.delay is not None and retry.delay > self.policy.max_wait:
            raise HttpError(
                f"{method} {path} answered HTTP {response.status_code} "
                f"({self._reason(response)}) and asked to wait {retry.delay:.0f}s; "
                "try again later",
                path=path,
                status_code=response.status_code,
            )

    def _status_error(self, method: str, path: str, response: httpx.Response) -> HttpError:
        error_class = HttpAuthError if response.status_code in AUTH_STATUSES else HttpError
        return error_class(
            f"{method} {path} answered HTTP {response.status_code} ({self._reason(response)})",
            path=path,
            status_code=response.status_code,
        )

    def _reason(self, response: httpx.Response) -> str:
        """The server's own short explanation when it gives one in JSON, else the phrase."""
        message = ""
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            body = body["error"]  # {"error": {"message": ...}} (Composio and others)
        if isinstance(body, dict):
            for key in ("message", "error_description", "error"):
                if isinstance(body.get(key), str):
                    message = body[key]
                    break
        message = message or response.reason_phrase or "no reason given"
        return redact(message[:200], self.secrets)
