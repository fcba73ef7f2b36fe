"""Split an entity's text into the chunks that search indexes and returns.

Chunks are a few hundred words, cut on paragraph boundaries where possible, and each one after
the first repeats the last few words of the one before so a phrase cut in two is still found.
"""

from __future__ import annotations

import re

TARGET_WORDS = 300
MAX_WORDS = 400
OVERLAP_WORDS = 40

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def split_text(text: str) -> list[str]:
    """The chunks of ``text``; a short or empty text is a single chunk."""
    if len(text.split()) <= MAX_WORDS:
        return [text.strip()]
    chunks: list[str] = []
    current: list[str] = []
    for paragraph in _paragraphs(text):
        words = paragraph.split()
        if current and len(current) + len(words) > TARGET_WORDS:
            chunks.append(" ".join(current))
            current = current[-OVERLAP_WORDS:]
        current.extend(words)
        while len(current) > MAX_WORDS:
            chunks.append(" ".join(current[:TARGET_WORDS]))
            current = current[TARGET_WORDS - OVERLAP_WORDS :]
    if len(current) > OVERLAP_WORDS or not chunks:
        chunks.append(" ".join(current))
    return chunks


def _paragraphs(text: str) -> list[str]:
    return [part for part in _PARAGRAPH_BREAK.split(text) if part.strip()]
