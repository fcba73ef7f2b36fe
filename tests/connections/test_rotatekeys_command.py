"""`manage.py rotatekeys`: re-encrypt every credential with the newest key, in batches."""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from connections.models import AuthMethod, Credential

pytestmark = pytest.mark.django_db

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def store(organization, secret: str) -> Credential:
    credential = Credential(
        organization=organization, short_name="github", auth_method=AuthMethod.DIRECT
    )
    credential.set_secrets({"personal_access_token": secret})
    credential.save()
    return credential


def rotatekeys(*args: str) -> str:
    out = StringIO()
    call_command("rotatekeys", *args, stdout=out)
    return out.getvalue()


def test_re_encrypts_every_credential_with_the_newest_key(org_a, settings):
    settings.WEFT_ENCRYPTION_KEYS = [OLD]
    credentials = [store(org_a.organization, f"token-{i}") for i in range(5)]
    settings.WEFT_ENCRYPTION_KEYS = [NEW, OLD]
    assert rotatekeys("--batch-size", "2") == "Re-encrypted 5 credential(s) with the newest key.\n"
    settings.WEFT_ENCRYPTION_KEYS = [NEW]  # the old key can go now
    for index, credential in enumerate(credentials):
        credential.refresh_from_db()
        assert credential.secrets == {"personal_access_token": f"token-{index}"}


def test_nothing_to_rotate_prints_zero(db):
    assert rotatekeys() == "Re-encrypted 0 credential(s) with the newest key.\n"


def test_credential_no_key_opens_fails_and_names_the_problem(org_a, settings):
    settings.WEFT_ENCRYPTION_KEYS = [OLD]
    store(org_a.organization, "token")
    settings.WEFT_ENCRYPTION_KEYS = [NEW]
    with pytest.raises(CommandError, match="cannot be decrypted"):
        rotatekeys()


def test_batch_size_below_one_is_refused(db):
    with pytest.raises(CommandError, match="at least 1"):
        rotatekeys("--batch-size", "0")
