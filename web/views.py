"""The web pages. Each view reads through selectors, acts through services and renders.

Every object is looked up inside ``request.organization`` (see ``web.tenancy``), so another
organization's objects are 404s. Service errors become messages next to what caused them.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from connections import services
from connections.exceptions import Conflict, FieldInvalid, WeftError
from connections.models import ApiKey, Collection, SourceConnection
from connections.oauth.services import oauth_reinitiate, oauth_verify
from connections.sources.registry import get_source
from syncs import schedules
from syncs import services as sync_services
from syncs.models import Entity, SyncJob
from web import selectors
from web.charts import job_chart
from web.forms import (
    OAUTH_FLOW_METHODS,
    ApiKeyForm,
    CollectionForm,
    CollectionRenameForm,
    LoginForm,
    ReauthenticateForm,
    ScheduleForm,
    SearchForm,
    SourceConnectionForm,
    add_service_errors,
)
from web.oauth import last_started, remember_claim, take_claim
from web.search import SearchCriteria, collection_search
from web.tenancy import organization_required, switch_organization


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


# --- Log in, organizations -------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "web/login.html"
    redirect_authenticated_user = True


@require_POST
@organization_required
def organization_switch(request: HttpRequest) -> HttpResponse:
    organization = switch_organization(request, request.POST.get("organization", ""))
    if organization is None:
        raise Http404("Organization not found")
    messages.success(request, f"Switched to {organization.name}.")
    return redirect("web:dashboard")


# --- Dashboard and collections ---------------------------------------------------------------


def _get_collection(request: HttpRequest, readable_id: str) -> Collection:
    return get_object_or_404(
        Collection.objects.for_org(request.organization), readable_id=readable_id
    )


@require_GET
@organization_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return _render_dashboard(request, CollectionForm())


def _render_dashboard(request: HttpRequest, form: CollectionForm, status: int = 200):
    rows = selectors.dashboard_rows(request.organization)
    return render(request, "web/dashboard.html", {"rows": rows, "form": form}, status=status)


@require_POST
@organization_required
def collection_create(request: HttpRequest) -> HttpResponse:
    form = CollectionForm(request.POST)
    if form.is_valid():
        try:
            collection = services.collection_create(
                organization=request.organization,
                name=form.cleaned_data["name"],
                readable_id=form.cleaned_data["readable_id"] or None,
                created_by_email=request.user.email or None,
            )
        except FieldInvalid as error:
            add_service_errors(form, error, lambda path: str(path[0]))
        except Conflict as error:
            form.add_error("readable_id", error.detail)
        else:
            messages.success(request, f"Created collection {collection.name}.")
            return redirect("web:collection", readable_id=collection.readable_id)
    return _render_dashboard(request, form, status=422)


@require_GET
@organization_required
def collection_detail(request: HttpRequest, readable_id: str) -> HttpResponse:
    collection = _get_collection(request, readable_id)
    rows = selectors.collection_connections(collection)
    choices = selectors.search_filter_choices(rows)
    context = {
        "collection": collection,
        "rows": rows,
        "search_form": SearchForm(choices=choices),
        "base_url": settings.WEFT_BASE_URL,
    }
    return render(request, "web/collection.html", context)


@require_http_methods(["GET", "POST"])
@organization_required
def collection_settings(request: HttpRequest, readable_id: str) -> HttpResponse:
    """Rename a collection (its readable id stays: URLs and API clients use it)."""
    collection = _get_collection(request, readable_id)
    form = CollectionRenameForm(request.POST or None, initial={"name": collection.name})
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.collection_update(
                    collection=collection,
                    data={"name": form.cleaned_data["name"]},
                    modified_by_email=request.user.email or None,
                )
            except FieldInvalid as error:
                add_service_errors(form, error, lambda path: str(path[0]))
            else:
                messages.success(request, f"Renamed the collection to {collection.name}.")
                return redirect("web:collection", readable_id=collection.readable_id)
    context = {"collection": collection, "form": form}
    return render(request, "web/collection_settings.html", context, status=status)


@require_http_methods(["GET", "POST"])
@organization_required
def collection_delete(request: HttpRequest, readable_id: str) -> HttpResponse:
    collection = _get_collection(request, readable_id)
    if request.method == "POST":
        services.collection_delete(collection=collection)
        messages.success(request, f"Deleted the collection {collection.name} and its entities.")
        return redirect("web:dashboard")
    context = {
        "collection": collection,
        "connection_count": collection.source_connections.count(),
        "entity_count": Entity.objects.filter(collection=collection).count(),
    }
    return render(request, "web/collection_delete.html", context)


@require_GET
@organization_required
def collection_search_results(request: HttpRequest, readable_id: str) -> HttpResponse:
    """The results list (a fragment for htmx; within the collection page otherwise)."""
    collection = _get_collection(request, readable_id)
    rows = selectors.collection_connections(collection)
    form = SearchForm(request.GET, choices=selectors.search_filter_choices(rows))
    results, status = None, 200
    if form.is_valid():
        criteria = SearchCriteria(
            query=form.cleaned_data["query"],
            strategy=form.cleaned_data["strategy"] or "hybrid",
            source=form.cleaned_data["source"],
            entity_type=form.cleaned_data["entity_type"],
            updated_from=form.cleaned_data["updated_from"],
            updated_to=form.cleaned_data["updated_to"],
        )
        try:
            results = collection_search(collection=collection, criteria=criteria)
        except FieldInvalid as error:
            add_service_errors(form, error, lambda path: None)
            status = 422
        except WeftError as error:
            form.add_error("strategy", error.detail)
            status = error.status_code
    else:
        status = 422
    context = {"collection": collection, "results": results, "search_form": form}
    if _is_htmx(request):
        # htmx swaps only 2xx answers by default; the errors are content to show here.
        return render(request, "web/partials/search_results.html", context)
    context.update({"rows": rows, "base_url": settings.WEFT_BASE_URL})
    return render(request, "web/collection.html", context, status=status)


@require_GET
@organization_required
def entity_detail(request: HttpRequest, readable_id: str, entity_pk: int) -> HttpResponse:
    collection = _get_collection(request, readable_id)
    entity = get_object_or_404(
        Entity.objects.select_related("source_connection"), collection=collection, pk=entity_pk
    )
    return render(request, "web/entity.html", {"collection": collection, "entity": entity})


# --- Add a source ----------------------------------------------------------------------------


@require_GET
@organization_required
def source_catalog(request: HttpRequest, readable_id: str) -> HttpResponse:
    collection = _get_collection(request, readable_id)
    query = request.GET.get("q", "")
    context = {
        "collection": collection,
        "sources": selectors.sources_matching(query),
        "query": query,
    }
    if _is_htmx(request):
        return render(request, "web/partials/source_list.html", context)
    return render(request, "web/source_catalog.html", context)


@require_http_methods(["GET", "POST"])
@organization_required
def source_connection_create(request: HttpRequest, readable_id: str, short_name: str):
    collection = _get_collection(request, readable_id)
    source_cls = get_source(short_name)
    if source_cls is None:
        raise Http404("Source not found")
    form = SourceConnectionForm(
        request.POST or None,
        source_cls=source_cls,
        provider_accounts=selectors.provider_accounts_for(request.organization, source_cls),
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            return_url = request.build_absolute_uri(reverse("web:oauth_return"))
            try:
                source_connection = services.source_connection_create(
                    organization=request.organization,
                    data=form.service_data(collection.readable_id, return_url),
                )
            except FieldInvalid as error:
                add_service_errors(form, error, SourceConnectionForm.field_for_path)
            except WeftError as error:
                form.add_error(None, error.detail)
                status = error.status_code
            else:
                if form.is_oauth_flow():
                    return _go_authorize(request, source_connection)
                messages.success(request, f"Connected {source_connection.name}.")
                return redirect("web:source_connection", pk=source_connection.pk)
    context = {"collection": collection, "source": source_cls, "form": form}
    return render(request, "web/source_form.html", context, status=status)


# --- OAuth in the browser --------------------------------------------------------------------


def _go_authorize(request: HttpRequest, source_connection: SourceConnection) -> HttpResponse:
    """Off to the provider; the claim token waits (encrypted) in this person's session."""
    start = source_connection.oauth_start
    remember_claim(request, source_connection.pk, start.claim_token)
    return redirect(start.auth_url)


@require_GET
@organization_required
def oauth_return(request: HttpRequest) -> HttpResponse:
    """Where the provider's callback sends the browser: claim the flow, show the connection."""
    if request.GET.get("status") != "success":
        error = (request.GET.get("error") or "the authorization did not complete").replace("_", " ")
        messages.error(request, f"Connecting failed: {error}. You can try again from here.")
        started = last_started(request)
        found = SourceConnection.objects.for_org(request.organization).filter(pk=started).first()
        if found is None:
            return redirect("web:dashboard")
        return redirect("web:source_connection", pk=found.pk)
    try:
        pk = uuid.UUID(request.GET.get("source_connection_id", ""))
    except ValueError:
        raise Http404("Source connection not found") from None
    source_connection = _get_source_connection(request, pk)
    claim_token = take_claim(request, source_connection.pk)
    try:
        oauth_verify(source_connection=source_connection, claim_token=claim_token or "")
    except WeftError as error:
        messages.error(request, f"Could not finish connecting: {error.detail}")
    else:
        messages.success(request, f"Connected {source_connection.name}; the first sync started.")
    return redirect("web:source_connection", pk=source_connection.pk)


# --- Connection page and its actions ---------------------------------------------------------


def _get_source_connection(request: HttpRequest, pk: uuid.UUID) -> SourceConnection:
    return get_object_or_404(
        SourceConnection.objects.for_org(request.organization).with_sync(), pk=pk
    )


def _connection_context(source_connection: SourceConnection) -> dict:
    detail = selectors.connection_detail(source_connection)
    return {
        "source_connection": source_connection,
        "collection": source_connection.collection,
        "source": source_connection.source_class,
        "progress": selectors.job_progress(source_connection),
        "chart": job_chart(detail["jobs"]),
        **detail,
    }


@require_GET
@organization_required
def source_connection_detail(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    source_connection = _get_source_connection(request, pk)
    context = _connection_context(source_connection)
    context["schedule_form"] = ScheduleForm.for_cron(source_connection.sync.cron)
    return render(request, "web/connection.html", context)


@require_GET
@organization_required
def source_connection_progress(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """The live section, polled while a job is active. The answer that sees the job finished
    also refreshes the counts, the history and the chart (out-of-band swaps)."""
    source_connection = _get_source_connection(request, pk)
    progress = selectors.job_progress(source_connection)
    was_polling = request.GET.get("polling") == "1"
    if was_polling and (progress is None or not progress.is_active):
        context = {**_connection_context(source_connection), "refresh": True}
        return render(request, "web/partials/connection_live.html", context)
    context = {"source_connection": source_connection, "progress": progress}
    return render(request, "web/partials/progress.html", context)


def _act(request: HttpRequest, source_connection: SourceConnection, action, done: str):
    try:
        action()
    except WeftError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, done)
    return redirect("web:source_connection", pk=source_connection.pk)


@require_POST
@organization_required
def source_connection_run(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    source_connection = _get_source_connection(request, pk)
    return _act(
        request,
        source_connection,
        lambda: sync_services.sync_job_run_manual(sync=source_connection.sync),
        "Sync queued.",
    )


@require_POST
@organization_required
def source_connection_job_cancel(request: HttpRequest, pk: uuid.UUID, job_pk: uuid.UUID):
    source_connection = _get_source_connection(request, pk)
    job = get_object_or_404(SyncJob, source_connection=source_connection, pk=job_pk)
    return _act(
        request,
        source_connection,
        lambda: sync_services.sync_job_cancel(job=job),
        "Cancel requested.",
    )


@require_POST
@organization_required
def source_connection_pause(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    source_connection = _get_source_connection(request, pk)
    reason = f"Paused from the web pages by {request.user.get_username()}"
    return _act(
        request,
        source_connection,
        lambda: sync_services.sync_pause(sync=source_connection.sync, reason=reason),
        "Schedule paused.",
    )


@require_POST
@organization_required
def source_connection_resume(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    source_connection = _get_source_connection(request, pk)
    return _act(
        request,
        source_connection,
        lambda: sync_services.sync_resume(sync=source_connection.sync),
        "Schedule resumed.",
    )


@require_POST
@organization_required
def source_connection_schedule(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    source_connection = _get_source_connection(request, pk)
    form = ScheduleForm(request.POST)
    if form.is_valid():
        try:
            services.source_connection_update(
                source_connection=source_connection,
                data={"schedule": {"cron": form.chosen_cron()}},
            )
        except FieldInvalid as error:
            add_service_errors(form, error, lambda path: "cron")
        except WeftError as error:
            form.add_error("cron", error.detail)
        else:
            messages.success(request, "Schedule saved.")
            return redirect("web:source_connection", pk=source_connection.pk)
    context = _connection_context(source_connection)
    context["schedule_form"] = form
    return render(request, "web/connection.html", context, status=422)


@require_GET
@organization_required
def schedule_preview(request: HttpRequest) -> HttpResponse:
    """Plain words and next runs of the schedule being edited (htmx, as the person types)."""
    form = ScheduleForm(request.GET)
    context: dict = {"error": None}
    if form.is_valid():
        try:
            cron = form.chosen_cron()
            if cron is not None:
                cron = schedules.validate_cron(cron)
            context["schedule"] = selectors.schedule_preview(cron)
        except FieldInvalid as error:
            context["error"] = " ".join(error.errors.values())
    else:
        context["error"] = " ".join(str(e) for errors in form.errors.values() for e in errors)
    return render(request, "web/partials/schedule_preview.html", context)


@require_http_methods(["GET", "POST"])
@organization_required
def source_connection_delete(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    source_connection = _get_source_connection(request, pk)
    collection = source_connection.collection
    if request.method == "POST":
        name = source_connection.name
        services.source_connection_delete(source_connection=source_connection)
        messages.success(request, f"Deleted {name} and its entities.")
        return redirect("web:collection", readable_id=collection.readable_id)
    context = {
        "source_connection": source_connection,
        "collection": collection,
        "entities": selectors.entity_summary(source_connection),
    }
    return render(request, "web/connection_delete.html", context)


@require_http_methods(["GET", "POST"])
@organization_required
def source_connection_reauthenticate(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    source_connection = _get_source_connection(request, pk)
    source_cls = source_connection.source_class
    if source_connection.auth_method in OAUTH_FLOW_METHODS:
        return _reauthorize(request, source_connection)
    if source_cls is None or not source_cls.auth_fields:
        raise Http404("This connection has no credentials to update")
    form = ReauthenticateForm(request.POST or None, source_cls=source_cls)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.source_connection_update(
                    source_connection=source_connection,
                    data={"authentication": form.authentication()},
                )
            except FieldInvalid as error:
                add_service_errors(form, error, SourceConnectionForm.field_for_path)
            except WeftError as error:
                form.add_error(None, error.detail)
            else:
                messages.success(request, "Credentials updated.")
                return redirect("web:source_connection", pk=source_connection.pk)
    context = {"source_connection": source_connection, "source": source_cls, "form": form}
    return render(request, "web/connection_reauth.html", context, status=status)


def _reauthorize(request: HttpRequest, source_connection: SourceConnection) -> HttpResponse:
    """An OAuth connection re-authenticates at the provider (a POST starts a fresh flow)."""
    if request.method == "POST":
        return_url = request.build_absolute_uri(reverse("web:oauth_return"))
        try:
            source_connection = oauth_reinitiate(
                source_connection=source_connection, redirect_url=return_url
            )
        except WeftError as error:
            messages.error(request, error.detail)
            return redirect("web:source_connection", pk=source_connection.pk)
        return _go_authorize(request, source_connection)
    context = {"source_connection": source_connection, "source": source_connection.source_class}
    return render(request, "web/connection_reauthorize.html", context)


# --- API keys --------------------------------------------------------------------------------


def _render_api_keys(request, form, new_key: str | None = None, status: int = 200):
    collection = Collection.objects.for_org(request.organization).first()
    context = {
        "keys": selectors.api_keys_of(request.organization),
        "form": form,
        "new_key": new_key,
        "base_url": settings.WEFT_BASE_URL,
        "example_collection": collection.readable_id if collection else "my-collection",
    }
    return render(request, "web/api_keys.html", context, status=status)


@require_http_methods(["GET", "POST"])
@organization_required
def api_keys(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _render_api_keys(request, ApiKeyForm())
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        return _render_api_keys(request, form, status=422)
    _, plaintext = services.apikey_create(
        organization_slug=request.organization.slug,
        name=form.cleaned_data["name"],
        days=form.cleaned_data["days"],
        created_by=request.user,
    )
    # Rendered, not redirected: the key is shown this once and stored nowhere in plaintext.
    response = _render_api_keys(request, ApiKeyForm(), new_key=plaintext)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@organization_required
def api_key_revoke(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    api_key = get_object_or_404(ApiKey, organization=request.organization, pk=pk)
    api_key.revoke()
    messages.success(request, f"Revoked {api_key.prefix}…")
    return redirect(reverse("web:api_keys"))
