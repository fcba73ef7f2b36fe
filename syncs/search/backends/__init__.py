"""Keyword retrieval with the database's own full-text engine, behind one interface."""

from __future__ import annotations

from django.db import connection

from syncs.search.backends.base import KeywordBackend


def keyword_backend() -> KeywordBackend:
    if connection.vendor == "postgresql":
        from syncs.search.backends.postgres import PostgresKeywordBackend

        return PostgresKeywordBackend()
    if connection.vendor == "sqlite":
        from syncs.search.backends.sqlite import SqliteKeywordBackend

        return SqliteKeywordBackend()
    raise NotImplementedError(f"No keyword search for {connection.vendor}")


__all__ = ["KeywordBackend", "keyword_backend"]
