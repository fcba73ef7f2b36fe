from django.urls import re_path

from syncs.api import views

SEARCH = r"^collections/(?P<readable_id>[^/]+)/search"

# Every route answers with and without a trailing slash, as the rest of the API does.
urlpatterns = [
    re_path(SEARCH + r"/instant/?$", views.InstantSearchView.as_view(), name="search-instant"),
    re_path(SEARCH + r"/classic/?$", views.ClassicSearchView.as_view(), name="search-classic"),
    re_path(SEARCH + r"/agentic/?$", views.AgenticSearchView.as_view(), name="search-agentic"),
    re_path(
        SEARCH + r"/agentic/stream/?$",
        views.AgenticSearchStreamView.as_view(),
        name="search-agentic-stream",
    ),
]
