from django.urls import include, re_path

from connections.api import auth_providers as ap_views
from connections.api import source_connections as sc_views
from connections.api import views

SC = r"^source-connections/(?P<source_connection_id>[^/]+)"

# Every route answers with and without a trailing slash, for every method, without redirects.
urlpatterns = [
    re_path(r"^health/?$", views.HealthView.as_view(), name="health"),
    re_path(r"^collections/?$", views.CollectionListView.as_view(), name="collection-list"),
    re_path(
        r"^collections/(?P<readable_id>[^/]+)/?$",
        views.CollectionDetailView.as_view(),
        name="collection-detail",
    ),
    re_path(r"^sources/?$", views.SourceListView.as_view(), name="source-list"),
    re_path(
        r"^sources/(?P<short_name>[^/]+)/?$",
        views.SourceDetailView.as_view(),
        name="source-detail",
    ),
    re_path(r"^source-connections/?$", sc_views.SourceConnectionListView.as_view()),
    # OAuth browser flow: opened by the browser, so before the {id} routes and without a key.
    re_path(
        r"^source-connections/authorize/(?P<code>[^/]+)/?$",
        sc_views.OAuthAuthorizeView.as_view(),
        name="oauth-authorize",
    ),
    re_path(
        r"^source-connections/callback/?$",
        sc_views.OAuthCallbackView.as_view(),
        name="oauth-callback",
    ),
    re_path(SC + r"/?$", sc_views.SourceConnectionDetailView.as_view()),
    re_path(SC + r"/run/?$", sc_views.SourceConnectionRunView.as_view()),
    re_path(SC + r"/jobs/?$", sc_views.SourceConnectionJobsView.as_view()),
    re_path(SC + r"/verify-oauth/?$", sc_views.SourceConnectionVerifyOAuthView.as_view()),
    re_path(SC + r"/reinitiate-oauth/?$", sc_views.SourceConnectionReinitiateOAuthView.as_view()),
    re_path(
        SC + r"/jobs/(?P<job_id>[^/]+)/cancel/?$",
        sc_views.SourceConnectionJobCancelView.as_view(),
    ),
    re_path(r"^auth-providers/list/?$", ap_views.AuthProviderListView.as_view()),
    re_path(
        r"^auth-providers/detail/(?P<short_name>[^/]+)/?$",
        ap_views.AuthProviderDetailView.as_view(),
    ),
    re_path(r"^auth-providers/?$", ap_views.AuthProviderConnectionCreateView.as_view()),
    re_path(r"^auth-providers/connections/?$", ap_views.AuthProviderConnectionListView.as_view()),
    re_path(
        r"^auth-providers/connections/(?P<readable_id>[^/]+)/?$",
        ap_views.AuthProviderConnectionDetailView.as_view(),
    ),
    re_path(
        r"^auth-providers/(?P<readable_id>[^/]+)/?$",
        ap_views.AuthProviderConnectionChangeView.as_view(),
    ),
    # Search (syncs app).
    re_path(r"", include("syncs.api.urls")),
]
