"""What every page's header needs: the current organization, the switcher, login options."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

# (backend name, its class, the setting that holds its client id, button label)
SOCIAL_PROVIDERS = (
    ("github", "social_core.backends.github.GithubOAuth2", "SOCIAL_AUTH_GITHUB_KEY", "GitHub"),
    (
        "google-oauth2",
        "social_core.backends.google.GoogleOAuth2",
        "SOCIAL_AUTH_GOOGLE_OAUTH2_KEY",
        "Google",
    ),
)


def social_login_buttons() -> list[tuple[str, str]]:
    """(backend, label) of the social logins this server is configured for: an enabled
    authentication backend and its client id."""
    return [
        (backend, label)
        for backend, path, key, label in SOCIAL_PROVIDERS
        if path in settings.AUTHENTICATION_BACKENDS and getattr(settings, key, "")
    ]


def navigation(request: HttpRequest) -> dict:
    return {
        "current_organization": getattr(request, "organization", None),
        "organization_memberships": getattr(request, "memberships", []),
        "social_login_buttons": social_login_buttons,
    }
