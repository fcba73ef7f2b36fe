from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from connections import services


class Command(BaseCommand):
    help = "Create an API key for an organization (created if missing); prints only the key."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--org", required=True, help="Organization slug")
        parser.add_argument("--name", default="", help="A label for the key")
        parser.add_argument("--days", type=int, default=90, help="Days until expiry (1-365)")

    def handle(self, *args, org: str, name: str, days: int, **options) -> None:
        try:
            _, plaintext = services.apikey_create(organization_slug=org, name=name, days=days)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(plaintext)
