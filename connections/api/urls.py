from django.urls import re_path

from connections.api import views

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
]
