"""The claim token of an OAuth flow a person started in the browser.

The web pages are the "API caller" of the flow: they keep the claim token in the person's
session (Fernet-encrypted, like every secret at rest) between sending the browser to the
provider and its return, then prove the claim. A flow started elsewhere cannot be claimed here.
"""

from __future__ import annotations

import uuid

from django.http import HttpRequest

from connections.crypto import DecryptionError, decrypt_json, encrypt_json

LAST_STARTED = "weft_oauth_last_started"


def _key(source_connection_id: uuid.UUID) -> str:
    return f"weft_oauth_claim:{source_connection_id}"


def remember_claim(request: HttpRequest, source_connection_id: uuid.UUID, claim: str) -> None:
    request.session[_key(source_connection_id)] = encrypt_json({"claim_token": claim})
    request.session[LAST_STARTED] = str(source_connection_id)


def last_started(request: HttpRequest) -> uuid.UUID | None:
    """The connection of the flow this person started last (an error names no connection)."""
    try:
        return uuid.UUID(request.session.get(LAST_STARTED, ""))
    except ValueError:
        return None


def take_claim(request: HttpRequest, source_connection_id: uuid.UUID) -> str | None:
    """The claim token kept for this connection (once), or None."""
    stored = request.session.pop(_key(source_connection_id), None)
    if not stored:
        return None
    try:
        return decrypt_json(stored).get("claim_token")
    except DecryptionError:
        return None
