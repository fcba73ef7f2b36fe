"""The signed-in person's current organization, kept in the session.

Every page works inside one organization, as an API key does: objects of any other organization
are looked up through ``request.organization`` and so are 404s.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from connections.models import Membership, Organization

SESSION_KEY = "weft_organization_id"


def memberships_of(user) -> list[Membership]:
    return list(
        Membership.objects.filter(user=user)
        .select_related("organization")
        .order_by("organization__name", "organization__slug")
    )


def current_organization(
    request: HttpRequest, memberships: list[Membership]
) -> Organization | None:
    """The organization chosen in this session, else the first one the person belongs to."""
    chosen = request.session.get(SESSION_KEY)
    for membership in memberships:
        if str(membership.organization_id) == chosen:
            return membership.organization
    return memberships[0].organization if memberships else None


def switch_organization(request: HttpRequest, organization_id: str) -> Organization | None:
    """Make ``organization_id`` current if the person belongs to it; returns it or None."""
    for membership in memberships_of(request.user):
        if str(membership.organization_id) == organization_id:
            request.session[SESSION_KEY] = str(membership.organization_id)
            return membership.organization
    return None


def organization_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Log-in required; sets ``request.organization`` (and ``request.memberships``)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        request.memberships = memberships_of(request.user)
        request.organization = current_organization(request, request.memberships)
        if request.organization is None:
            return render(request, "web/no_organization.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper
