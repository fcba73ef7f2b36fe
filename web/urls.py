from django.contrib.auth import views as auth_views
from django.urls import include, path

from web import views

app_name = "web"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="web:login"), name="logout"),
    # Social logins ("log in with GitHub/Google"), shown on the login page when configured.
    path("auth/", include("social_django.urls", namespace="social")),
    path("", views.dashboard, name="dashboard"),
    path("organization/", views.organization_switch, name="organization_switch"),
    path("collections/new/", views.collection_create, name="collection_create"),
    path("collections/<str:readable_id>/", views.collection_detail, name="collection"),
    path(
        "collections/<str:readable_id>/settings/",
        views.collection_settings,
        name="collection_settings",
    ),
    path(
        "collections/<str:readable_id>/delete/", views.collection_delete, name="collection_delete"
    ),
    path(
        "collections/<str:readable_id>/search/",
        views.collection_search_results,
        name="collection_search",
    ),
    path(
        "collections/<str:readable_id>/entities/<int:entity_pk>/",
        views.entity_detail,
        name="entity",
    ),
    path("collections/<str:readable_id>/sources/", views.source_catalog, name="source_catalog"),
    path(
        "collections/<str:readable_id>/sources/<str:short_name>/",
        views.source_connection_create,
        name="source_connection_create",
    ),
    path("connections/oauth-return/", views.oauth_return, name="oauth_return"),
    path("connections/<uuid:pk>/", views.source_connection_detail, name="source_connection"),
    path(
        "connections/<uuid:pk>/progress/",
        views.source_connection_progress,
        name="source_connection_progress",
    ),
    path("connections/<uuid:pk>/run/", views.source_connection_run, name="source_connection_run"),
    path(
        "connections/<uuid:pk>/jobs/<uuid:job_pk>/cancel/",
        views.source_connection_job_cancel,
        name="source_connection_job_cancel",
    ),
    path(
        "connections/<uuid:pk>/pause/",
        views.source_connection_pause,
        name="source_connection_pause",
    ),
    path(
        "connections/<uuid:pk>/resume/",
        views.source_connection_resume,
        name="source_connection_resume",
    ),
    path(
        "connections/<uuid:pk>/schedule/",
        views.source_connection_schedule,
        name="source_connection_schedule",
    ),
    path("schedule-preview/", views.schedule_preview, name="schedule_preview"),
    path(
        "connections/<uuid:pk>/delete/",
        views.source_connection_delete,
        name="source_connection_delete",
    ),
    path(
        "connections/<uuid:pk>/reauthenticate/",
        views.source_connection_reauthenticate,
        name="source_connection_reauthenticate",
    ),
    path("api-keys/", views.api_keys, name="api_keys"),
    path("api-keys/<uuid:pk>/revoke/", views.api_key_revoke, name="api_key_revoke"),
]
