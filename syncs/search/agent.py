"""Agentic search: an LLM with tools searches, reads and collects results, then returns them.

The loop is bounded (``MAX_ITERATIONS`` LLM calls). Each step is an event in the shape of
Airweave's agentic stream: started, thinking, tool_call, then done or error.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from connections.exceptions import FieldInvalid, ServiceUnavailable
from connections.models import Collection
from syncs.models import SearchChunk
from syncs.search import llm
from syncs.search.filters import FilterGroups, parse_filter
from syncs.search.service import (
    HYBRID,
    STRATEGIES,
    SearchHit,
    count_chunks,
    load_hits,
    rank,
)

MAX_ITERATIONS = 15
SEARCH_LIMIT = 10
EXCERPT_CHARS = 300
DEFAULT_RESULTS = 25

SYSTEM_PROMPT = """You find the documents in a collection that answer the user's query. \
Use the tools: search (try several phrasings), read (full text of chunks you want to check), \
count, add_to_results (the chunk ids that answer the query), remove_from_results, and \
return_results_to_user when you are done. Chunk ids look like "<entity id>__chunk_<n>". \
Only collect chunks you have seen in search results."""

_IDS = {"type": "array", "items": {"type": "string"}}
TOOLS = [
    {
        "name": "search",
        "description": "Search the collection; returns chunk ids, names, sources and excerpts.",
        "parameters": {
            "type": "object",
            "properties": {
                "query": {"type": "string"},
                "retrieval_strategy": {"type": "string", "enum": list(STRATEGIES)},
                "filter": {"type": "array", "items": {"type": "object"}},
                "limit": {"type": "integer", "minimum": 1, "maximum": 50},
            },
            "required": ["query"],
        },
    },
    {
        "name": "read",
        "description": "The full text of chunks, with the chunks around them.",
        "parameters": {
            "type": "object",
            "properties": {"entity_ids": _IDS},
            "required": ["entity_ids"],
        },
    },
    {
        "name": "count",
        "description": "How many chunks match a filter (all chunks without one).",
        "parameters": {"type": "object", "properties": {"filter": {"type": "array"}}},
    },
    {
        "name": "add_to_results",
        "description": "Collect chunks as results.",
        "parameters": {
            "type": "object",
            "properties": {"entity_ids": _IDS},
            "required": ["entity_ids"],
        },
    },
    {
        "name": "remove_from_results",
        "description": "Drop chunks from the results.",
        "parameters": {
            "type": "object",
            "properties": {"entity_ids": _IDS},
            "required": ["entity_ids"],
        },
    },
    {
        "name": "return_results_to_user",
        "description": "Finish: return the collected results.",
        "parameters": {"type": "object", "properties": {}},
    },
]


class AgentRun:
    """One agentic search. ``events()`` yields its events; ``collect()`` runs it for results."""

    def __init__(
        self,
        *,
        collection: Collection,
        query: str,
        filters: FilterGroups,
        limit: int | None,
        thinking: bool,
    ) -> None:
        self.collection = collection
        self.query = query
        self.filters = filters
        self.limit = limit
        self.thinking = thinking
        self.seen: dict[str, tuple[int, float]] = {}  # chunk doc id -> (chunk pk, score)
        self.read_ids: list[str] = []
        self.collected: list[str] = []
        self.finished = False
        self.tokens = [0, 0]
        self.started = time.monotonic()
        self.handlers: dict[str, Callable[[dict], tuple[str, dict]]] = {
            "search": self._search,
            "read": self._read,
            "count": self._count,
            "add_to_results": self._add,
            "remove_from_results": self._remove,
            "return_results_to_user": self._finish,
        }

    def collect(self) -> list[SearchHit]:
        for event in self.events():
            if event["type"] == "error":
                raise ServiceUnavailable(f"Agentic search failed: {event['message']}")
            if event["type"] == "done":
                return event["results"]
        return []

    def events(self) -> Iterator[dict[str, Any]]:
        yield {
            "type": "started",
            "request_id": uuid.uuid4().hex,
            "tier": "agentic",
            "collection_readable_id": self.collection.readable_id,
            "query": self.query,
            "thinking": self.thinking,
            "filter": None,
            "limit": self.limit,
        }
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": self.query},
        ]
        tools = [{"type": "function", "function": tool} for tool in TOOLS]
        iteration = 0
        try:
            while not self.finished and iteration < MAX_ITERATIONS:
                iteration += 1
                yield from self._step(iteration, messages, tools)
        except llm.LLMError as error:
            yield {"type": "error", "message": str(error), "duration_ms": self._elapsed()}
            return
        yield self._done(iteration, max_hit=not self.finished)

    def _step(self, iteration: int, messages: list, tools: list) -> Iterator[dict[str, Any]]:
        began = time.monotonic()
        reply = llm.chat(messages, tools=tools)
        self.tokens[0] += reply.prompt_tokens
        self.tokens[1] += reply.completion_tokens
        if reply.content:
            yield {
                "type": "thinking",
                "thinking": None,
                "text": reply.content,
                "duration_ms": _ms(began),
                "diagnostics": {
                    "iteration": iteration,
                    "prompt_tokens": reply.prompt_tokens,
                    "completion_tokens": reply.completion_tokens,
                },
            }
        messages.append(
            {"role": "assistant", "content": reply.content or None, "tool_calls": reply.tool_calls}
            if reply.tool_calls
            else {"role": "assistant", "content": reply.content}
        )
        if not reply.tool_calls:
            self.finished = True  # the model answered instead of calling a tool
            return
        for call in reply.tool_calls:
            yield self._call(iteration, call, messages)

    def _call(self, iteration: int, call: dict, messages: list) -> dict[str, Any]:
        began = time.monotonic()
        function = call.get("function") or {}
        name = function.get("name", "")
        arguments = _arguments(function.get("arguments"))
        try:
            if arguments is None:
                raise ValueError("arguments must be a JSON object")
            handler = self.handlers.get(name)
            if handler is None:
                raise ValueError(f"unknown tool {name!r}")
            output, stats = handler(arguments)
        except (ValueError, TypeError, FieldInvalid) as error:
            # The model reads the error and can try again.
            output, stats = f"Error: {error}", {"error": str(error)}
        messages.append({"role": "tool", "tool_call_id": call.get("id", ""), "content": output})
        return {
            "type": "tool_call",
            "tool_name": name,
            "duration_ms": _ms(began),
            "diagnostics": {
                "iteration": iteration,
                "tool_call_id": call.get("id"),
                "arguments": arguments or {},
                "stats": stats,
            },
        }

    def _done(self, iterations: int, *, max_hit: bool) -> dict[str, Any]:
        return {
            "type": "done",
            "results": self._results(),
            "duration_ms": self._elapsed(),
            "diagnostics": {
                "total_iterations": iterations,
                "all_seen_entity_ids": list(self.seen),
                "all_read_entity_ids": self.read_ids,
                "all_collected_entity_ids": self.collected,
                "max_iterations_hit": max_hit,
                "total_llm_retries": 0,
                "stagnation_nudges_sent": 0,
                "prompt_tokens": self.tokens[0],
                "completion_tokens": self.tokens[1],
            },
        }

    def _results(self) -> list[SearchHit]:
        # Nothing collected (the model stopped early): fall back to the best chunks it saw.
        chosen = self.collected or sorted(self.seen, key=lambda doc: -self.seen[doc][1])
        chosen = chosen[: self.limit or DEFAULT_RESULTS]
        return load_hits([self.seen[doc] for doc in chosen])

    def _elapsed(self) -> int:
        return _ms(self.started)

    # --- Tools --------------------------------------------------------------------------------

    def _search(self, arguments: dict) -> tuple[str, dict]:
        query = str(arguments.get("query") or "").strip()
        if not query:
            raise ValueError("query must not be blank")
        strategy = arguments.get("retrieval_strategy") or HYBRID
        if strategy not in STRATEGIES:
            raise ValueError(f"retrieval_strategy must be one of {', '.join(STRATEGIES)}")
        limit = max(1, min(int(arguments.get("limit") or SEARCH_LIMIT), 50))
        ranked = rank(
            collection=self.collection,
            query=query,
            retrieval_strategy=strategy,
            filters=[self.filters, parse_filter(arguments.get("filter"))],
            limit=limit,
            offset=0,
        )
        hits = load_hits(ranked)
        new = 0
        for hit in hits:
            new += hit.doc_id not in self.seen
            self.seen.setdefault(hit.doc_id, (hit.chunk.pk, hit.score))
        lines = [_summary(hit) for hit in hits] or ["No results."]
        stats = {"result_count": len(hits), "new_results": new}
        return "\n\n".join(lines), stats

    def _read(self, arguments: dict) -> tuple[str, dict]:
        ids = _id_list(arguments)
        texts, found = [], 0
        for doc in ids:
            chunk = self._chunk(doc)
            if chunk is None:
                texts.append(f"[{doc}] not found")
                continue
            found += 1
            self.read_ids.append(doc)
            around = SearchChunk.objects.filter(
                entity_id=chunk.entity_id,
                chunk_index__gte=chunk.chunk_index - 2,
                chunk_index__lte=chunk.chunk_index + 2,
            ).order_by("chunk_index")
            body = "\n".join(f"({c.chunk_index}) {c.text}" for c in around)
            texts.append(f"[{doc}] {chunk.name}\n{body}")
        return "\n\n".join(texts), {"found": found, "not_found": len(ids) - found}

    def _count(self, arguments: dict) -> tuple[str, dict]:
        filters = [self.filters, parse_filter(arguments.get("filter"))]
        count = count_chunks(collection=self.collection, filters=filters)
        return f"{count} chunks match.", {"count": count}

    def _add(self, arguments: dict) -> tuple[str, dict]:
        ids = _id_list(arguments)
        added = [doc for doc in ids if doc in self.seen and doc not in self.collected]
        self.collected.extend(added)
        not_found = len([doc for doc in ids if doc not in self.seen])
        stats = {
            "added": len(added),
            "already_collected": len(ids) - len(added) - not_found,
            "not_found": not_found,
            "total_collected": len(self.collected),
        }
        return f"Added {len(added)}; {len(self.collected)} collected.", stats

    def _remove(self, arguments: dict) -> tuple[str, dict]:
        ids = set(_id_list(arguments))
        self.collected = [doc for doc in self.collected if doc not in ids]
        stats = {"total_collected": len(self.collected)}
        return f"{len(self.collected)} collected.", stats

    def _finish(self, arguments: dict) -> tuple[str, dict]:
        self.finished = True
        stats = {"accepted": True, "total_collected": len(self.collected)}
        return "Returning the results.", stats

    def _chunk(self, doc: str) -> SearchChunk | None:
        if doc in self.seen:
            return SearchChunk.objects.filter(pk=self.seen[doc][0]).first()
        entity_id, _, index = doc.rpartition("__chunk_")
        if not entity_id or not index.isdigit():
            return None
        return SearchChunk.objects.filter(
            collection=self.collection, entity__entity_id=entity_id, chunk_index=int(index)
        ).first()


def _summary(hit: SearchHit) -> str:
    text = hit.chunk.text
    excerpt = text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "…"
    path = " > ".join(str(crumb.get("name", "")) for crumb in hit.entity.breadcrumbs or [])
    return (
        f"[{hit.doc_id}] {hit.entity.name} ({hit.source_connection.short_name}"
        f"{', ' + path if path else ''})\n{excerpt}"
    )


def _arguments(raw: Any) -> dict | None:
    try:
        value = json.loads(raw or "{}") if isinstance(raw, str) else raw
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _id_list(arguments: dict) -> list[str]:
    ids = arguments.get("entity_ids")
    if not isinstance(ids, list) or not all(isinstance(item, str) for item in ids):
        raise ValueError("entity_ids must be a list of chunk ids")
    return ids[:100]


def _ms(since: float) -> int:
    return int((time.monotonic() - since) * 1000)
