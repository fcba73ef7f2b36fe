"""The least an HTTP request can cost here: gunicorn calling a WSGI function that answers ``{}``.

``bench/search_latency.py`` serves it with the same worker and times it with the same client, as
the floor under any Python HTTP path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable


def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
    environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "2")])
    return [b"{}"]
