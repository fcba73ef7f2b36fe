"""A search query as both full-text engines read it: words, "quoted phrases" and -exclusions.

The syntax is web-search syntax (PostgreSQL's ``websearch_to_tsquery``): all parts must match.
When no chunk matches them all, the backends fall back to any part matching (ranked by how
many match), so a question phrased in full sentences still finds what answers part of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_PARTS = 32
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_WORD = re.compile(r"\w+")

# PostgreSQL's English stop words (Snowball), so SQLite drops the same words PostgreSQL does.
STOP_WORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been before being
    below between both but by can did do does doing don down during each few for from further
    had has have having he her here hers herself him himself his how i if in into is it its
    itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own s same she should so some such t than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with you your yours yourself yourselves
    """.split()
)


@dataclass(frozen=True)
class QueryPart:
    text: str
    phrase: bool = False
    negated: bool = False

    @property
    def words(self) -> list[str]:
        return _WORD.findall(self.text.lower())


@dataclass(frozen=True)
class ParsedQuery:
    parts: tuple[QueryPart, ...]

    @property
    def positive(self) -> list[QueryPart]:
        return [part for part in self.parts if not part.negated]

    @property
    def negative(self) -> list[QueryPart]:
        return [part for part in self.parts if part.negated]

    @property
    def is_empty(self) -> bool:
        return not self.positive


def parse_query(text: str) -> ParsedQuery:
    """Split a query into parts; stop words and OR keywords are dropped, repeats merged."""
    parts: list[QueryPart] = []
    for match in _TOKEN.finditer(text):
        negation, phrase, word = match.groups()
        if phrase is not None:
            part = QueryPart(phrase.strip(), phrase=True, negated=bool(negation))
        elif word.startswith("-") and len(word) > 1:
            part = QueryPart(word[1:], negated=True)
        else:
            part = QueryPart(word)
        if _meaningful(part) and part not in parts:
            parts.append(part)
    return ParsedQuery(tuple(parts[:MAX_PARTS]))


def _meaningful(part: QueryPart) -> bool:
    return any(word not in STOP_WORDS for word in part.words)
