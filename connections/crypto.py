"""Encryption at rest for credentials: Fernet with several keys for rotation (MultiFernet).

``WEFT_ENCRYPTION_KEYS`` lists keys newest first; the newest encrypts, all of them decrypt.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class DecryptionError(Exception):
    """Stored ciphertext could not be decrypted with any configured key."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise RuntimeError("No encryption key configured (WEFT_ENCRYPTION_KEYS).")
    return MultiFernet([Fernet(key.encode()) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.WEFT_ENCRYPTION_KEYS))


def encrypt_json(payload: dict[str, Any]) -> str:
    return fernet().encrypt(json.dumps(payload, sort_keys=True).encode()).decode()


def decrypt_json(token: str) -> dict[str, Any]:
    try:
        return json.loads(fernet().decrypt(token.encode()))
    except InvalidToken:
        raise DecryptionError(
            "Stored credential cannot be decrypted with the configured keys"
        ) from None


def rotate(token: str) -> str:
    """Re-encrypt a token with the newest key."""
    try:
        return fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError(
            "Stored credential cannot be decrypted with the configured keys"
        ) from None
