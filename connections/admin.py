"""Django admin for operators: organizations, members, API keys, collections, connections."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from connections.models import (
    ApiKey,
    AuthProviderConnection,
    Collection,
    Credential,
    Membership,
    OAuthSession,
    Organization,
    SourceConnection,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "member_count", "collection_count", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]

    def get_queryset(self, request: HttpRequest):
        return (
            super()
            .get_queryset(request)
            .annotate(
                _members=Count("memberships", distinct=True),
                _collections=Count("collections", distinct=True),
            )
        )

    @admin.display(description="Members", ordering="_members")
    def member_count(self, obj: Organization) -> int:
        return obj._members

    @admin.display(description="Collections", ordering="_collections")
    def collection_count(self, obj: Organization) -> int:
        return obj._collections


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """The hash is never shown; a new key's plaintext is shown once, in the success message."""

    list_display = ["prefix", "name", "organization", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["organization", ("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["organization"]
    search_fields = ["prefix", "name", "organization__name", "organization__slug"]
    fields = ["organization", "name", "days", "prefix", "expires_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "expires_at", "last_used_at", "revoked_at"]
    actions = ["revoke_keys"]

    def get_fields(self, request: HttpRequest, obj: ApiKey | None = None):
        if obj is None:
            return ["organization", "name", "days"]
        return ["organization", "name", "prefix", "expires_at", "last_used_at", "revoked_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: ApiKey | None = None):
        if obj is None:
            return []
        return ["organization", "prefix", "expires_at", "last_used_at", "revoked_at"]

    def get_form(self, request: HttpRequest, obj: ApiKey | None = None, **kwargs):
        from connections.forms import ApiKeyAdminCreateForm

        if obj is None:
            kwargs["form"] = ApiKeyAdminCreateForm
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request: HttpRequest, obj: ApiKey, form, change: bool) -> None:
        if change:
            obj.save(update_fields=["name"])
            return
        key, plaintext = ApiKey.issue(
            organization=form.cleaned_data["organization"],
            name=form.cleaned_data.get("name", ""),
            days=form.cleaned_data["days"],
            created_by=request.user,
        )
        obj.pk = key.pk
        obj.refresh_from_db()
        self.message_user(
            request,
            f"Copy this API key now; it will not be shown again: {plaintext}",
            messages.WARNING,
        )

    @admin.action(description="Revoke selected API keys")
    def revoke_keys(self, request: HttpRequest, queryset) -> None:
        count = 0
        for key in queryset.filter(revoked_at__isnull=True):
            key.revoke()
            count += 1
        self.message_user(request, f"Revoked {count} API key(s).")


@admin.register(Collection)
class CollectionAdmin(admin.ModelAdmin):
    list_display = ["name", "readable_id", "organization", "created_at", "modified_at"]
    list_filter = ["organization", "created_at"]
    list_select_related = ["organization"]
    search_fields = ["name", "readable_id", "organization__name"]
    readonly_fields = ["id", "readable_id", "created_at", "modified_at"]
    date_hierarchy = "created_at"


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that only services write: operators look here and act through the actions."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Credential)
class CredentialAdmin(ReadOnlyAdmin):
    """Which secrets exist and for what; the payload itself is never shown."""

    list_display = ["short_name", "auth_method", "organization", "created_at", "modified_at"]
    list_filter = ["auth_method", "short_name"]
    list_select_related = ["organization"]
    search_fields = ["short_name", "organization__slug"]
    fields = [
        "id",
        "organization",
        "short_name",
        "auth_method",
        "expires_at",
        "refreshed_at",
        "created_at",
        "modified_at",
    ]


@admin.register(AuthProviderConnection)
class AuthProviderConnectionAdmin(ReadOnlyAdmin):
    """Accounts with Composio or Pipedream; their API credentials are never shown."""

    list_display = ["name", "readable_id", "short_name", "organization", "in_use", "created_at"]
    list_filter = ["short_name", "organization"]
    list_select_related = ["organization"]
    search_fields = ["name", "readable_id", "organization__slug"]
    fields = [
        "id",
        "organization",
        "short_name",
        "name",
        "readable_id",
        "description",
        "credential",
        "created_by_email",
        "modified_by_email",
        "created_at",
        "modified_at",
    ]

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).annotate(_in_use=Count("source_connections"))

    @admin.display(description="Source connections", ordering="_in_use")
    def in_use(self, obj: AuthProviderConnection) -> int:
        return obj._in_use


@admin.register(SourceConnection)
class SourceConnectionAdmin(ReadOnlyAdmin):
    """Connections with their derived status; run, pause and resume them from their sync."""

    list_display = [
        "name",
        "short_name",
        "organization",
        "collection",
        "status",
        "auth_method",
        "sync_link",
        "created_at",
    ]
    list_filter = ["short_name", "auth_method", "organization"]
    list_select_related = ["organization", "collection", "sync", "sync__last_job"]
    search_fields = ["name", "short_name", "organization__slug", "collection__readable_id"]
    fields = [
        "id",
        "organization",
        "collection",
        "short_name",
        "name",
        "description",
        "config",
        "auth_method",
        "credential",
        "auth_provider_connection",
        "provider_config",
        "is_authenticated",
        "authenticated_at",
        "status",
        "sync_link",
        "created_at",
        "modified_at",
    ]

    @admin.display(description="Status")
    def status(self, obj: SourceConnection) -> str:
        return SourceConnection.Status(obj.status).label

    @admin.display(description="Sync")
    def sync_link(self, obj: SourceConnection) -> str:
        sync = getattr(obj, "sync", None)
        if sync is None:
            return "-"
        url = reverse("admin:syncs_sync_change", args=[sync.pk])
        return format_html('<a href="{}">{}</a>', url, sync.cron or "manual only")


@admin.register(OAuthSession)
class OAuthSessionAdmin(ReadOnlyAdmin):
    """OAuth authorizations in flight and how they ended; codes, states and claim tokens are
    stored only as hashes, and the encrypted overrides (PKCE verifier, BYOC secret) are not
    shown."""

    list_display = [
        "source_connection",
        "provider",
        "auth_method",
        "status",
        "error",
        "created_at",
        "completed_at",
    ]
    list_filter = ["status", "provider", "auth_method"]
    list_select_related = ["source_connection"]
    search_fields = ["source_connection__name", "organization__slug", "error"]
    fields = [
        "id",
        "organization",
        "source_connection",
        "provider",
        "auth_method",
        "status",
        "error",
        "redirect_url",
        "code_expires_at",
        "code_used_at",
        "expires_at",
        "created_at",
        "completed_at",
    ]
