"""Named failures raised by services; the API, pages and admin each present them their way."""

from __future__ import annotations


class WeftError(Exception):
    """A failure the caller caused or can act on. ``status_code`` is its HTTP meaning."""

    status_code = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(WeftError):
    status_code = 404


class Forbidden(WeftError):
    status_code = 403


class Conflict(WeftError):
    status_code = 409


class InvalidRequest(WeftError):
    status_code = 400


class ServiceUnavailable(WeftError):
    status_code = 503


class FieldInvalid(WeftError):
    """A 422 naming the offending fields: ``errors`` maps a path (tuple) to a message."""

    status_code = 422

    def __init__(self, errors: dict[tuple[str | int, ...], str], location: str = "body") -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, k))}: {v}" for k, v in errors.items()))
        self.errors = errors
        self.location = location

    @classmethod
    def single(cls, path: tuple[str | int, ...], message: str) -> FieldInvalid:
        return cls({path: message})
