from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from connections import services
from connections.crypto import DecryptionError


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored credential with the newest key in WEFT_ENCRYPTION_KEYS. "
        "Run it after prepending a new key; then the old keys can be removed."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=500, help="Credentials per batch")

    def handle(self, *args, batch_size: int, **options) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            count = services.credentials_rotate_keys(batch_size=batch_size)
        except DecryptionError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Re-encrypted {count} credential(s) with the newest key.")
