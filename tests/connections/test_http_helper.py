"""The shared HTTP helper, against httpx.MockTransport: no network, no real sleeping."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from connections.sources.base import SourceAuthError, SourceError
from connections.sources.http import (
    HttpAuthError,
    HttpClient,
    HttpError,
    Retry,
    RetryPolicy,
    parse_retry_after,
)

TOKEN = "tok-very-secret-123"


def _client(responses, sleeps, **kwargs) -> tuple[HttpClient, list[httpx.Request]]:
    """A client whose server answers with ``responses`` in turn (a Response or an exception)."""
    seen: list[httpx.Request] = []
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    client = HttpClient(
        base_url="https://api.example.test",
        headers={"Authorization": f"Bearer {TOKEN}"},
        secrets=[TOKEN],
        sleep=sleeps.append,
        jitter=lambda: 1.0,
        transport=httpx.MockTransport(handler),
        **kwargs,
    )
    return client, seen


def test_success_returns_response_and_sends_headers():
    client, seen = _client([httpx.Response(200, json={"ok": True})], [])
    assert client.get_json("/things") == {"ok": True}
    assert seen[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert seen[0].headers["user-agent"].startswith("Weft")


def test_retries_5xx_with_exponential_backoff_then_succeeds():
    sleeps: list[float] = []
    answers = [httpx.Response(503), httpx.Response(502), httpx.Response(200, json=[1])]
    client, seen = _client(answers, sleeps, policy=RetryPolicy(backoff_base=2, backoff_cap=60))
    assert client.get_json("/x") == [1]
    assert len(seen) == 3
    assert sleeps == [2.0, 4.0]


def test_backoff_is_capped_and_jittered():
    policy = RetryPolicy(backoff_base=1, backoff_cap=10)
    assert policy.backoff(10, lambda: 1.0) == 10
    assert policy.backoff(10, lambda: 0.0) == 5
    assert policy.backoff(2, lambda: 0.5) == 1.5


def test_honours_retry_after_seconds_on_429():
    sleeps: list[float] = []
    answers = [httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, json={})]
    client, _ = _client(answers, sleeps)
    client.get("/x")
    assert sleeps == [7.0]


def test_parses_retry_after_http_date():
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Wed, 01 Jan 2025 12:00:30 GMT", now) == 30
    assert parse_retry_after("Wed, 01 Jan 2025 11:00:00 GMT", now) == 0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_retries_network_errors():
    sleeps: list[float] = []
    answers = [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.Response(200)]
    client, seen = _client(answers, sleeps)
    assert client.get("/x").status_code == 200
    assert len(seen) == 3 and len(sleeps) == 2


def test_gives_up_after_max_attempts_naming_path_and_status():
    sleeps: list[float] = []
    client, seen = _client([httpx.Response(500)] * 3, sleeps, policy=RetryPolicy(max_attempts=3))
    with pytest.raises(HttpError) as caught:
        client.get("/repos/a/b/issues", params={"access_token": TOKEN})
    message = str(caught.value)
    assert "GET /repos/a/b/issues" in message and "HTTP 500" in message and "3 attempts" in message
    assert TOKEN not in message
    assert len(seen) == 3 and len(sleeps) == 2
    assert not isinstance(caught.value, SourceAuthError)


def test_network_failure_after_last_attempt_is_source_error():
    answers = [httpx.ConnectError(f"cannot connect with {TOKEN}")] * 2
    client, _ = _client(answers, [], policy=RetryPolicy(max_attempts=2))
    with pytest.raises(SourceError, match=r"could not reach api\.example\.test") as caught:
        client.get("/x")
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize("status", [401, 403])
def test_auth_statuses_raise_auth_error_without_retry(status):
    sleeps: list[float] = []
    body = {"message": f"Bad credentials for {TOKEN}"}
    client, seen = _client([httpx.Response(status, json=body)], sleeps)
    with pytest.raises(HttpAuthError) as caught:
        client.get("/user")
    assert isinstance(caught.value, SourceAuthError)
    assert caught.value.status_code == status
    assert "Bad credentials" in str(caught.value) and TOKEN not in str(caught.value)
    assert len(seen) == 1 and sleeps == []


def test_other_client_errors_are_not_retried():
    client, seen = _client([httpx.Response(404, json={"message": "Not Found"})], [])
    with pytest.raises(HttpError) as caught:
        client.get("/repos/a/missing")
    assert caught.value.status_code == 404
    assert str(caught.value) == "GET /repos/a/missing answered HTTP 404 (Not Found)"
    assert len(seen) == 1


def test_custom_classifier_retries_a_403_rate_limit():
    def classify(response: httpx.Response) -> Retry | None:
        if response.status_code == 403 and response.headers.get("x-ratelimit-remaining") == "0":
            return Retry(3.0)
        return None

    sleeps: list[float] = []
    limited = httpx.Response(403, headers={"x-ratelimit-remaining": "0"})
    client, _ = _client([limited, httpx.Response(200)], sleeps, classify=classify)
    assert client.get("/x").status_code == 200
    assert sleeps == [3.0]


def test_wait_longer_than_max_wait_fails_instead_of_sleeping():
    sleeps: list[float] = []
    answers = [httpx.Response(429, headers={"Retry-After": "3600"})]
    client, _ = _client(answers, sleeps, policy=RetryPolicy(max_wait=60))
    with pytest.raises(HttpError, match="asked to wait 3600s"):
        client.get("/x")
    assert sleeps == []


def _page(items, next_url=None) -> httpx.Response:
    headers = (
        {"Link": f'<{next_url}>; rel="next", <https://x/last>; rel="last"'} if next_url else {}
    )
    return httpx.Response(200, json=items, headers=headers)


def test_paginate_follows_link_next_until_the_end():
    answers = [
        _page([1, 2], "https://api.example.test/items?page=2&per_page=2"),
        _page([3, 4], "/items?page=3&per_page=2"),
        _page([5]),
    ]
    client, seen = _client(answers, [])
    assert list(client.iter_items("/items", params={"per_page": 2})) == [1, 2, 3, 4, 5]
    assert [r.url.params.get("page") for r in seen] == [None, "2", "3"]


def test_iter_items_reads_a_key():
    client, _ = _client([_page({"total": 1, "items": ["a"]})], [])
    assert list(client.iter_items("/search", key="items")) == ["a"]


def test_paginate_refuses_a_next_link_to_another_host():
    client, seen = _client([_page([1], "https://evil.test/items?page=2")], [])
    pages = client.paginate("/items")
    next(pages)
    with pytest.raises(HttpError, match="another host"):
        next(pages)
    assert len(seen) == 1


def test_retries_inside_pagination():
    sleeps: list[float] = []
    answers = [_page([1], "/items?page=2"), httpx.Response(503), _page([2])]
    client, _ = _client(answers, sleeps)
    assert list(client.iter_items("/items")) == [1, 2]
    assert len(sleeps) == 1
