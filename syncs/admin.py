"""Django admin for operators: schedules, jobs (failed, stuck) and the entities they wrote."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from connections.admin import ReadOnlyAdmin
from connections.exceptions import WeftError
from syncs import services
from syncs.models import Entity, Sync, SyncJob
from syncs.schedules import describe_cron


def act_on_each(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    objects: Iterable[Model],
    act: Callable[[Model], object],
    done: str,
    describe: Callable[[Model], str] = str,
) -> None:
    """Call a service for each selected row; report how many it did and why others were not."""
    count, refused = 0, []
    for obj in objects:
        try:
            act(obj)
        except WeftError as error:
            refused.append(f"{describe(obj)}: {error.detail}")
        else:
            count += 1
    model_admin.message_user(request, f"{done}: {count}.")
    if refused:
        model_admin.message_user(request, "Refused: " + "; ".join(refused), messages.WARNING)


@admin.register(Sync)
class SyncAdmin(ReadOnlyAdmin):
    """A connection's schedule; run it now, pause or resume it."""

    list_display = [
        "source_connection",
        "organization",
        "schedule",
        "next_run",
        "paused",
        "pause_reason",
        "last_job_status",
    ]
    list_filter = ["paused"]
    list_select_related = ["source_connection__organization", "last_job"]
    search_fields = ["source_connection__name", "source_connection__organization__slug"]
    actions = ["run_now", "pause", "resume"]

    @admin.display(description="Organization")
    def organization(self, obj: Sync) -> str:
        return str(obj.source_connection.organization)

    @admin.display(description="Schedule", ordering="cron")
    def schedule(self, obj: Sync) -> str:
        return describe_cron(obj.cron)

    @admin.display(description="Last job")
    def last_job_status(self, obj: Sync) -> str:
        return obj.last_job.get_status_display() if obj.last_job else "-"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Sync]:
        # Actions too: they name the connection, and a manual run checks its status.
        return super().get_queryset(request).select_related(*self.list_select_related)

    @admin.action(description="Run now")
    def run_now(self, request: HttpRequest, queryset: QuerySet[Sync]) -> None:
        act_on_each(
            self,
            request,
            queryset,
            lambda sync: services.sync_job_run_manual(sync=sync),
            "Sync jobs queued",
            describe=lambda sync: str(sync.source_connection),
        )

    @admin.action(description="Pause schedule")
    def pause(self, request: HttpRequest, queryset: QuerySet[Sync]) -> None:
        reason = f"Paused in the admin by {request.user.get_username()}"
        act_on_each(
            self,
            request,
            queryset,
            lambda sync: services.sync_pause(sync=sync, reason=reason),
            "Paused",
        )

    @admin.action(description="Resume schedule")
    def resume(self, request: HttpRequest, queryset: QuerySet[Sync]) -> None:
        act_on_each(
            self, request, queryset, lambda sync: services.sync_resume(sync=sync), "Resumed"
        )


class FailedRecentlyFilter(admin.SimpleListFilter):
    title = "failed"
    parameter_name = "failed"
    PERIODS = {"day": timedelta(days=1), "week": timedelta(days=7)}

    def lookups(self, request, model_admin):
        return [("day", "In the last day"), ("week", "In the last week")]

    def queryset(self, request, queryset):
        period = self.PERIODS.get(self.value())
        if period is None:
            return queryset
        since = timezone.now() - period
        return queryset.filter(status=SyncJob.Status.FAILED, failed_at__gte=since)


class StuckFilter(admin.SimpleListFilter):
    """The jobs the sweeper would look at now: no heartbeat for too long, or pending too long."""

    title = "stuck"
    parameter_name = "stuck"

    def lookups(self, request, model_admin):
        return [("yes", "Stuck")]

    def queryset(self, request, queryset):
        if self.value() != "yes":
            return queryset
        return queryset & SyncJob.objects.stuck(now=timezone.now())


@admin.register(SyncJob)
class SyncJobAdmin(ReadOnlyAdmin):
    """Every run with its counters and errors; cancel the active ones."""

    list_display = [
        "created_at",
        "source_connection",
        "status",
        "trigger",
        "sync_type",
        "duration_seconds",
        "entities_inserted",
        "entities_updated",
        "entities_deleted",
        "entities_kept",
        "entities_skipped",
        "entities_failed",
        "error_category",
        "short_error",
    ]
    list_filter = ["status", FailedRecentlyFilter, StuckFilter, "trigger", "error_category"]
    list_select_related = ["source_connection"]
    search_fields = ["source_connection__name", "error"]
    actions = ["cancel"]

    @admin.display(description="Error")
    def short_error(self, obj: SyncJob) -> str:
        error = obj.error or ""
        return error if len(error) <= 120 else error[:119] + "…"

    @admin.action(description="Cancel")
    def cancel(self, request: HttpRequest, queryset: QuerySet[SyncJob]) -> None:
        act_on_each(
            self,
            request,
            queryset,
            lambda job: services.sync_job_cancel(job=job),
            "Cancel requested",
        )


@admin.register(Entity)
class EntityAdmin(ReadOnlyAdmin):
    """What the syncs wrote, as search reads it."""

    list_display = [
        "entity_type",
        "entity_id",
        "name",
        "source_connection",
        "collection",
        "synced_at",
    ]
    list_filter = ["entity_type"]
    list_select_related = ["source_connection", "collection"]
    search_fields = ["entity_id", "name"]
    # Counting millions of rows on every page costs more than the page itself.
    show_full_result_count = False
