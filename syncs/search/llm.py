"""An OpenAI-compatible chat endpoint (``WEFT_LLM_BASE_URL``), called with httpx."""

from __future__ import annotations

from django.conf import settings

NOT_CONFIGURED = (
    "Agentic search needs an LLM. Set WEFT_LLM_BASE_URL, WEFT_LLM_API_KEY and WEFT_LLM_MODEL "
    "to an OpenAI-compatible chat completions endpoint."
)


def is_configured() -> bool:
    return bool(settings.WEFT_LLM_BASE_URL and settings.WEFT_LLM_MODEL)
