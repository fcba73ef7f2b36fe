"""Rebuild the search index (chunks and vectors) from the stored entities."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from connections.models import Collection
from syncs.search.index import merge_pending_entries, reindex_collection


class Command(BaseCommand):
    help = (
        "Re-chunk and re-embed entities: after turning an embedder on or changing it, or "
        "to index entities synced before search existed."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--collection", help="Only this collection (readable_id).")

    def handle(self, *args, collection: str | None, **options) -> None:
        collections = Collection.objects.order_by("created_at")
        if collection:
            collections = collections.filter(readable_id=collection)
            if not collections.exists():
                raise CommandError(f"No collection with readable_id {collection!r}")
        for each in collections:
            chunks = reindex_collection(each)
            self.stdout.write(f"{each.readable_id}: {chunks} chunks")
        merge_pending_entries()
