from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from connections import services
from connections.exceptions import WeftError


class Command(BaseCommand):
    help = "Add a person to an organization (both created if needed)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--org", required=True, help="Organization slug")
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", default=None)
        parser.add_argument("--role", default="member", choices=["owner", "member"])

    def handle(self, *args, org: str, email: str, password: str | None, role: str, **options):
        try:
            membership, created = services.member_add(
                organization_slug=org, email=email, password=password, role=role
            )
        except (ValidationError, WeftError) as error:
            raise CommandError(str(error)) from None
        verb = "Created" if created else "Updated"
        self.stdout.write(f"{verb} {membership.user.email} as {role} of {membership.organization}")
