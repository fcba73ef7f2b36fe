"""The social-auth pipeline step that decides who "log in with GitHub/Google" lets in.

Weft is a team's private server: a social login signs in a person Weft already knows (matched
by the verified email the provider returns, see ``associate_by_email`` before this step) and
never opens an account for a stranger, unless the operator named an organization that new
social logins join (``WEFT_SOCIAL_SIGNUP_ORGANIZATION``, optionally limited to email domains
with ``WEFT_SOCIAL_SIGNUP_DOMAINS``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.urls import reverse

from connections import services


def _unverified(email: str, response: dict[str, Any]) -> bool:
    """Whether the provider says this email is not verified (GitHub lists, Google flags)."""
    if response.get("email_verified") is False:
        return True
    for entry in response.get("emails") or []:
        if isinstance(entry, dict) and str(entry.get("email", "")).lower() == email:
            return entry.get("verified") is False
    return False


def only_verified_email(
    details: dict[str, Any], response: dict[str, Any], *args: Any, **kwargs: Any
) -> dict[str, Any] | None:
    """Forget an email the provider has not verified: nobody may claim an account with it."""
    email = (details.get("email") or "").strip().lower()
    if email and _unverified(email, response or {}):
        return {"details": {**details, "email": ""}}
    return None


def signup_allowed(email: str) -> bool:
    """Whether a person unknown to Weft may get an account by logging in with this email."""
    if not email or not settings.WEFT_SOCIAL_SIGNUP_ORGANIZATION:
        return False
    domains = settings.WEFT_SOCIAL_SIGNUP_DOMAINS
    return not domains or email.rsplit("@", 1)[-1] in domains


def require_known_person(
    strategy, details: dict[str, Any], user=None, *args: Any, **kwargs: Any
) -> dict[str, Any] | Any | None:
    """Let a known user through; sign up an allowed newcomer; send anyone else back to log in."""
    if user is not None:
        return None
    email = (details.get("email") or "").strip().lower()
    if signup_allowed(email):
        membership, _ = services.member_add(
            organization_slug=settings.WEFT_SOCIAL_SIGNUP_ORGANIZATION, email=email
        )
        return {"user": membership.user, "is_new": True}
    messages.error(
        strategy.request,
        f"No Weft account uses {email or 'the email of that account'}. Ask an operator to add "
        "you with python manage.py createuser, then log in again.",
    )
    return strategy.redirect(reverse("web:login"))
