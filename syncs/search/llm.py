"""An OpenAI-compatible chat completions endpoint (``WEFT_LLM_BASE_URL``), called with httpx.

``WEFT_LLM_BASE_URL`` is the API root, as OpenAI's clients take it (``https://host/v1``);
requests go to ``{base}/chat/completions``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import httpx
from django.conf import settings

NOT_CONFIGURED = (
    "Agentic search needs an LLM, and none is configured. Set WEFT_LLM_BASE_URL, "
    "WEFT_LLM_API_KEY and WEFT_LLM_MODEL to an OpenAI-compatible chat completions endpoint."
)


class LLMError(Exception):
    """The LLM could not be reached or answered with something unusable."""


@dataclass
class Reply:
    content: str
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0


def is_configured() -> bool:
    return bool(settings.WEFT_LLM_BASE_URL and settings.WEFT_LLM_MODEL)


def chat(messages: list[dict[str, Any]], *, tools: list[dict] | None = None) -> Reply:
    """One chat completion; raises LLMError on any failure."""
    body: dict[str, Any] = {"model": settings.WEFT_LLM_MODEL, "messages": messages}
    if tools:
        body["tools"] = tools
        body["tool_choice"] = "auto"
    headers = {"Authorization": f"Bearer {settings.WEFT_LLM_API_KEY}"}
    url = f"{settings.WEFT_LLM_BASE_URL}/chat/completions"
    try:
        response = httpx.post(
            url, json=body, headers=headers, timeout=settings.WEFT_LLM_TIMEOUT_SECONDS
        )
    except httpx.HTTPError as error:
        raise LLMError(f"The LLM could not be reached: {error.__class__.__name__}") from None
    if response.status_code != 200:
        raise LLMError(f"The LLM answered HTTP {response.status_code}")
    try:
        payload = response.json()
        message = payload["choices"][0]["message"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise LLMError("The LLM's answer is not a chat completion") from None
    usage = payload.get("usage") or {}
    return Reply(
        content=message.get("content") or "",
        tool_calls=message.get("tool_calls") or [],
        prompt_tokens=int(usage.get("prompt_tokens") or 0),
        completion_tokens=int(usage.get("completion_tokens") or 0),
    )


def json_object(text: str) -> dict[str, Any]:
    """The JSON object in a reply, fenced in ``` or not; raises LLMError if there is none."""
    match = re.search(r"\{.*\}", text, re.DOTALL)
    if match is None:
        raise LLMError("The LLM did not answer with a JSON object")
    try:
        value = json.loads(match.group(0))
    except ValueError:
        raise LLMError("The LLM answered with malformed JSON") from None
    if not isinstance(value, dict):
        raise LLMError("The LLM did not answer with a JSON object")
    return value
