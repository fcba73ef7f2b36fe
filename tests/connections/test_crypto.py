"""Encryption at rest: Fernet with several keys, newest first, for rotation."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from connections import crypto

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


@pytest.fixture
def keys(settings):
    def use(*keys: str) -> None:
        settings.WEFT_ENCRYPTION_KEYS = list(keys)

    return use


def test_round_trip(keys):
    keys(NEW)
    token = crypto.encrypt_json({"api_key": "secret-value"})
    assert "secret-value" not in token
    assert crypto.decrypt_json(token) == {"api_key": "secret-value"}


def test_data_encrypted_with_an_old_key_decrypts_after_a_new_key_is_prepended(keys):
    keys(OLD)
    token = crypto.encrypt_json({"api_key": "secret-value"})
    keys(NEW, OLD)
    assert crypto.decrypt_json(token) == {"api_key": "secret-value"}


def test_the_newest_key_encrypts(keys):
    keys(NEW, OLD)
    token = crypto.encrypt_json({"a": 1})
    Fernet(NEW.encode()).decrypt(token.encode())


def test_rotate_re_encrypts_with_the_newest_key(keys):
    keys(OLD)
    token = crypto.encrypt_json({"a": 1})
    keys(NEW, OLD)
    rotated = crypto.rotate(token)
    keys(NEW)
    assert crypto.decrypt_json(rotated) == {"a": 1}


def test_data_under_a_removed_key_cannot_be_decrypted(keys):
    keys(OLD)
    token = crypto.encrypt_json({"a": 1})
    keys(NEW)
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_json(token)
    with pytest.raises(crypto.DecryptionError):
        crypto.rotate(token)


def test_no_key_fails_loudly(keys):
    keys()
    with pytest.raises(RuntimeError, match="WEFT_ENCRYPTION_KEYS"):
        crypto.encrypt_json({"a": 1})
