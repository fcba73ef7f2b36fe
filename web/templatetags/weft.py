"""Small presentation helpers for the page templates."""

from __future__ import annotations

import hashlib

from django import template

register = template.Library()

# Hues that keep white initials readable.
_HUES = (210, 260, 330, 20, 150, 190, 290, 40)


@register.filter
def initials(name: str) -> str:
    """ "Google Drive" -> "GD", "Files" -> "Fi"."""
    words = [word for word in str(name).replace("-", " ").split() if word]
    if len(words) >= 2:
        return (words[0][0] + words[1][0]).upper()
    return str(name)[:2].title()


@register.filter
def hue(value: str) -> int:
    """A stable hue for a name, so a source's initials badge keeps its colour."""
    digest = hashlib.blake2b(str(value).encode(), digest_size=1).digest()[0]
    return _HUES[digest % len(_HUES)]


@register.filter
def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


@register.filter
def status_label(status: str) -> str:
    """ "needs_reauth" -> "needs reauth", "NEEDS SOURCE" -> "needs source"."""
    return str(status).replace("_", " ").lower()


@register.filter
def status_class(status: str) -> str:
    return "badge-" + str(status).replace(" ", "_").lower()
