"""Tenancy (organizations, members, API keys) and collections."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MinLengthValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.text import slugify

READABLE_ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
readable_id_validator = RegexValidator(
    READABLE_ID_PATTERN,
    "Use lowercase letters, digits and single hyphens, not starting or ending with a hyphen.",
)


def random_suffix(length: int = 6) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def generate_readable_id(name: str) -> str:
    """``"Finance Data"`` becomes ``finance-data-ab12x9``; the suffix keeps ids unique."""
    slug = re.sub(r"[^a-z0-9\s-]", "", name.lower().strip())
    slug = re.sub(r"[\s-]+", "-", slug).strip("-")[:56].strip("-")
    return f"{slug}-{random_suffix()}" if slug else random_suffix()


class Organization(models.Model):
    """A tenant: every collection, connection and API key belongs to exactly one."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=255)
    slug = models.SlugField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def get_or_create_by_slug(cls, slug: str) -> tuple[Organization, bool]:
        slug = slugify(slug)
        if not slug:
            raise ValidationError({"slug": "An organization slug needs letters or digits."})
        return cls.objects.get_or_create(slug=slug, defaults={"name": slug})


class Membership(models.Model):
    """A Django user's place in an organization."""

    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        MEMBER = "member", "Member"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="unique_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.role})"


class ApiKeyQuerySet(models.QuerySet):
    def usable(self) -> ApiKeyQuerySet:
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class ApiKey(models.Model):
    """An organization's API key. Only a SHA-256 hash and a short display prefix are stored."""

    KEY_PREFIX = "weft_"
    DISPLAY_CHARS = 12
    MIN_DAYS, MAX_DAYS = 1, 365
    # Writing last_used_at on every request would turn each read into a write.
    LAST_USED_RESOLUTION = timedelta(minutes=1)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=16, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name or 'unnamed'})"

    @staticmethod
    def hash_key(plaintext: str) -> str:
        # Keys carry 256 random bits, so a fast unsalted hash cannot be brute-forced.
        return hashlib.sha256(plaintext.encode()).hexdigest()

    @classmethod
    def issue(
        cls, *, organization: Organization, name: str = "", days: int = 90, created_by=None
    ) -> tuple[ApiKey, str]:
        """Create a key; returns it with the plaintext, which is never retrievable again."""
        if not cls.MIN_DAYS <= days <= cls.MAX_DAYS:
            raise ValidationError(
                {"days": f"Expiry must be between {cls.MIN_DAYS} and {cls.MAX_DAYS} days."}
            )
        plaintext = cls.KEY_PREFIX + secrets.token_urlsafe(32)
        key = cls.objects.create(
            organization=organization,
            name=name,
            prefix=plaintext[: cls.DISPLAY_CHARS],
            key_hash=cls.hash_key(plaintext),
            expires_at=timezone.now() + timedelta(days=days),
            created_by=created_by,
        )
        return key, plaintext

    @classmethod
    def find_usable(cls, plaintext: str) -> ApiKey | None:
        return (
            cls.objects.usable()
            .select_related("organization")
            .filter(key_hash=cls.hash_key(plaintext))
            .first()
        )

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])

    def touch(self) -> None:
        now = timezone.now()
        if self.last_used_at and now - self.last_used_at < self.LAST_USED_RESOLUTION:
            return
        ApiKey.objects.filter(pk=self.pk).update(last_used_at=now)
        self.last_used_at = now


class CollectionQuerySet(models.QuerySet):
    def for_org(self, organization: Organization) -> CollectionQuerySet:
        return self.filter(organization=organization)


class Collection(models.Model):
    """A searchable set of entities fed by one or more source connections."""

    class Status(models.TextChoices):
        ACTIVE = "ACTIVE", "Active"
        NEEDS_SOURCE = "NEEDS SOURCE", "Needs source"
        ERROR = "ERROR", "Error"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="collections"
    )
    name = models.CharField(max_length=64, validators=[MinLengthValidator(4)])
    readable_id = models.CharField(
        max_length=63,
        unique=True,
        validators=[MinLengthValidator(3), MaxLengthValidator(63), readable_id_validator],
    )
    sync_config = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    modified_at = models.DateTimeField(auto_now=True)
    created_by_email = models.EmailField(null=True, blank=True)
    modified_by_email = models.EmailField(null=True, blank=True)

    objects = CollectionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.readable_id})"


class RateLimitWindow(models.Model):
    """Request count of one organization in one fixed 60-second window (rate limiter store)."""

    organization_id = models.UUIDField()
    window_start = models.BigIntegerField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization_id", "window_start"], name="unique_rate_limit_window"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} @ {self.window_start}: {self.count}"


class AuthMethod(models.TextChoices):
    DIRECT = "direct", "Direct"
    OAUTH_BROWSER = "oauth_browser", "OAuth (browser)"
    OAUTH_TOKEN = "oauth_token", "OAuth token"
    OAUTH_BYOC = "oauth_byoc", "OAuth (your own app)"
    AUTH_PROVIDER = "auth_provider", "Auth provider"


class Credential(models.Model):
    """A secret payload (API keys, tokens, passwords), Fernet-encrypted at rest.

    The payload is reached only through ``secrets`` / ``set_secrets``; it is never part of
    ``__str__``, the admin, a log line or an API response.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="credentials"
    )
    short_name = models.CharField(max_length=64)
    auth_method = models.CharField(max_length=32, choices=AuthMethod.choices)
    encrypted_payload = models.TextField(editable=False)
    # When the access token of an OAuth credential expires (not secret; drives refreshes).
    expires_at = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.short_name} credential ({self.auth_method})"

    @property
    def secrets(self) -> dict:
        from connections.crypto import decrypt_json

        return decrypt_json(self.encrypted_payload)

    def set_secrets(self, payload: dict) -> None:
        from connections.crypto import encrypt_json

        self.encrypted_payload = encrypt_json(payload)


class SourceConnectionQuerySet(models.QuerySet):
    def for_org(self, organization: Organization) -> SourceConnectionQuerySet:
        return self.filter(organization=organization)

    def with_sync(self) -> SourceConnectionQuerySet:
        return self.select_related("collection", "sync", "sync__last_job")


class SourceConnection(models.Model):
    """One source (a GitHub repo, a folder, a database...) feeding one collection."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PENDING_AUTH = "pending_auth", "Pending authentication"
        SYNCING = "syncing", "Syncing"
        ERROR = "error", "Error"
        NEEDS_REAUTH = "needs_reauth", "Needs re-authentication"
        INACTIVE = "inactive", "Inactive"
        PENDING_SYNC = "pending_sync", "Pending sync"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="source_connections"
    )
    collection = models.ForeignKey(
        Collection, on_delete=models.CASCADE, related_name="source_connections"
    )
    short_name = models.CharField(max_length=64, db_index=True)
    name = models.CharField(max_length=42, validators=[MinLengthValidator(4)])
    description = models.CharField(max_length=255, blank=True, null=True)
    config = models.JSONField(default=dict, blank=True)
    auth_method = models.CharField(max_length=32, choices=AuthMethod.choices)
    credential = models.OneToOneField(
        Credential, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set for ``auth_provider`` connections: where the credentials come from at sync time.
    auth_provider_connection = models.ForeignKey(
        "AuthProviderConnection",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="source_connections",
    )
    provider_config = models.JSONField(null=True, blank=True)
    is_authenticated = models.BooleanField(default=False)
    authenticated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    modified_at = models.DateTimeField(auto_now=True)

    objects = SourceConnectionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.short_name})"

    @property
    def source_class(self):
        from connections.sources.registry import get_source_class

        return get_source_class(self.short_name)

    @property
    def last_job(self):
        sync = getattr(self, "sync", None)
        return sync.last_job if sync is not None else None

    @property
    def status(self) -> str:
        """Derived from authentication, the last job and the schedule's pause flag."""
        from syncs.models import SyncJob

        if not self.is_authenticated:
            return self.Status.PENDING_AUTH
        job = self.last_job
        if job is not None and job.status in (SyncJob.Status.RUNNING, SyncJob.Status.CANCELLING):
            return self.Status.SYNCING
        failed = job is not None and job.status == SyncJob.Status.FAILED
        if failed and job.error_category and not self._reauthenticated_after(job):
            return self.Status.NEEDS_REAUTH
        sync = getattr(self, "sync", None)
        if sync is not None and sync.paused:
            return self.Status.INACTIVE
        if failed and not job.error_category:
            return self.Status.ERROR
        return self.Status.ACTIVE

    def _reauthenticated_after(self, job) -> bool:
        """New credentials arrived after the job that failed on the old ones."""
        renewed, failed = self.authenticated_at, job.failed_at
        return bool(renewed and failed and renewed > failed)


class OAuthSession(models.Model):
    """One OAuth browser authorization in flight for a source connection.

    The short ``auth_url`` code, the ``state`` sent to the provider and the ``claim_token``
    given to the API caller are stored only as SHA-256 hashes; the PKCE verifier and a
    customer's own client id/secret (BYOC) are Fernet-encrypted in ``encrypted_overrides``.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the browser"
        IN_PROGRESS = "in_progress", "Authorized, waiting for the claim"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Replaced"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="oauth_sessions"
    )
    source_connection = models.ForeignKey(
        "SourceConnection", on_delete=models.CASCADE, related_name="oauth_sessions"
    )
    provider = models.CharField(max_length=64)
    auth_method = models.CharField(max_length=32, choices=AuthMethod.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    code_expires_at = models.DateTimeField()
    code_used_at = models.DateTimeField(null=True, blank=True)
    state_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField()
    claim_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    redirect_url = models.TextField(blank=True)
    encrypted_overrides = models.TextField(blank=True, editable=False)
    error = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"OAuth {self.provider} for {self.source_connection_id} ({self.status})"


class AuthProviderConnection(models.Model):
    """An organization's account with an auth provider (Composio, Pipedream Connect).

    Source connections with ``auth_provider`` authentication fetch their credentials through
    it at sync time. The provider's API credentials live in ``credential`` (encrypted).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="auth_provider_connections"
    )
    short_name = models.CharField(max_length=64)
    name = models.CharField(max_length=255)
    readable_id = models.CharField(max_length=100, validators=[readable_id_validator])
    description = models.TextField(blank=True, null=True)
    credential = models.OneToOneField(
        Credential, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_email = models.EmailField(null=True, blank=True)
    modified_by_email = models.EmailField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "readable_id"], name="unique_auth_provider_readable_id"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.short_name})"
