"""A per-process memory of recently authenticated API keys, kept for a few seconds.

Looking a key up costs a query on every API request; remembering it for
``WEFT_API_KEY_CACHE_SECONDS`` (default 5) saves that. Revoking or deleting a key therefore
takes effect within that many seconds in every web process. Expiry is checked on every
request. Unknown keys are never remembered, so a new key works at once and guessing fills
nothing.
"""

from __future__ import annotations

import time

from django.conf import settings

from connections.models import ApiKey

MAX_ENTRIES = 10_000

# key hash -> (when it was looked up, on the monotonic clock; the key with its organization)
_entries: dict[str, tuple[float, ApiKey]] = {}


def find_usable(plaintext: str) -> ApiKey | None:
    """The usable key for ``plaintext``, from memory when looked up recently enough."""
    key_hash = ApiKey.hash_key(plaintext)
    now = time.monotonic()
    remembered = _entries.get(key_hash)
    if remembered is not None:
        looked_up_at, key = remembered
        if now - looked_up_at < settings.WEFT_API_KEY_CACHE_SECONDS and not key.is_expired:
            return key
        _entries.pop(key_hash, None)
    key = ApiKey.find_usable(plaintext)
    if key is not None and settings.WEFT_API_KEY_CACHE_SECONDS > 0:
        if len(_entries) >= MAX_ENTRIES:
            _entries.clear()
        _entries[key_hash] = (now, key)
    return key


def clear() -> None:
    _entries.clear()
