"""``stub``: deterministic generated entities for tests, demos and benchmarks."""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from connections.sources.base import BaseSource, Breadcrumb, SourceEntity, SourceField
from connections.sources.registry import register

_WORDS = (
    "account agent alert analysis api archive audit backup billing branch budget build cache "
    "calendar campaign change client cloud cluster code commit config contract cost customer "
    "dashboard data database deadline deploy design document domain draft email engine error "
    "event export feature feedback file filter forecast git goal guide incident index invoice "
    "issue job kernel key latency launch lead library license log manager meeting memory merge "
    "metric migration milestone model monitor network note onboarding order outage owner page "
    "partner payment pipeline plan policy pricing product project query queue quota release "
    "report repository request review risk roadmap schema search security server service "
    "session sprint storage strategy support sync system team test ticket timeline token "
    "training update upgrade user vendor version webhook workflow"
).split()


# 256 entries so one random byte picks one word.
_WORD_TABLE = [_WORDS[i % len(_WORDS)] for i in range(256)]


def _rng(seed: int, index: int, salt: str = "") -> random.Random:
    digest = hashlib.blake2b(f"{seed}:{index}:{salt}".encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


@register
class StubSource(BaseSource):
    name = "Stub"
    short_name = "stub"
    description = "Deterministic generated entities for tests, demos and benchmarks."
    auth_methods = ("direct",)
    labels = ("Internal",)
    entity_types = ("stub_document", "stub_note")
    supports_continuous = False
    internal = True
    config_fields = (
        SourceField(
            "entity_count",
            "Entity count",
            "integer",
            "How many entities to generate.",
            default=10,
            min_value=0,
            max_value=1_000_000,
        ),
        SourceField("seed", "Seed", "integer", "Same seed, same entities.", default=42),
        SourceField(
            "generation_delay_ms",
            "Delay per entity (ms)",
            "integer",
            "Sleep this long per entity, to make slow runs.",
            default=0,
            min_value=0,
            max_value=60_000,
        ),
        SourceField(
            "text_words",
            "Words per entity",
            "integer",
            "Length of each entity's text (about 7 bytes a word).",
            default=60,
            min_value=1,
            max_value=10_000,
        ),
        SourceField(
            "change_fraction",
            "Fraction changed",
            "number",
            "Fraction of entities whose text changes with the revision.",
            default=0.0,
            min_value=0,
            max_value=1,
        ),
        SourceField(
            "delete_fraction",
            "Fraction deleted",
            "number",
            "Fraction of entities left out.",
            default=0.0,
            min_value=0,
            max_value=1,
        ),
        SourceField(
            "revision",
            "Revision",
            "integer",
            "Bump to apply the change and delete fractions to a new set.",
            default=0,
            min_value=0,
        ),
        SourceField(
            "fail_entity_every",
            "Fail every Nth entity",
            "integer",
            "Make every Nth entity fail to process (0 = never).",
            default=0,
            min_value=0,
        ),
    )

    def generate_entities(self) -> Iterator[SourceEntity]:
        count = int(self.config.get("entity_count", 10))
        seed = int(self.config.get("seed", 42))
        delay = int(self.config.get("generation_delay_ms", 0)) / 1000
        for index in range(count):
            if delay:
                time.sleep(delay)
            entity = self.entity_at(index, seed)
            if entity is None:
                continue
            if entity.fields["poison"]:
                # Yielded all the same, as a source does with an item it cannot read: the
                # engine counts it failed and keeps the version it stored before, if any.
                self.entity_failures.append((entity.entity_id, "poisoned by fail_entity_every"))
            yield entity

    def entity_at(self, index: int, seed: int) -> SourceEntity | None:
        revision = int(self.config.get("revision", 0))
        selector = _rng(seed, index, f"rev{revision}").random()
        delete_fraction = float(self.config.get("delete_fraction", 0))
        change_fraction = float(self.config.get("change_fraction", 0))
        if revision and selector < delete_fraction:
            return None
        changed = revision and selector < delete_fraction + change_fraction
        rng = _rng(seed, index, f"rev{revision}" if changed else "")
        word_count = int(self.config.get("text_words", 60))
        words = [_WORD_TABLE[byte] for byte in rng.randbytes(word_count)]
        title = " ".join(words[:4]).capitalize()
        entity_type = self.entity_types[index % 2]
        folder = f"folder-{index // 100}"
        created = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=index)
        fail_every = int(self.config.get("fail_entity_every", 0))
        return SourceEntity(
            entity_id=f"stub-{index}",
            entity_type=entity_type,
            name=f"{title} #{index}",
            text=" ".join(words),
            breadcrumbs=[Breadcrumb(folder, folder.replace("-", " ").title(), "stub_folder")],
            fields={
                "index": index,
                "seed": seed,
                "poison": bool(fail_every and (index + 1) % fail_every == 0),
            },
            web_url=f"https://stub.invalid/{index}",
            created_at=created,
            updated_at=created + timedelta(days=revision if changed else 0),
        )
