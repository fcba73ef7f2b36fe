"""The sync engine: stream a source's entities into a collection in batches.

Per batch: hash each entity, resolve insert / update / keep against the stored hashes in one
query, write with bulk operations, update the search index, add the counters to the job, beat
the heartbeat and look for a cancel request. Memory holds one batch at a time.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import traceback
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from connections.models import AuthMethod, SourceConnection
from connections.sources.base import (
    BaseSource,
    EntityDeletion,
    EntityError,
    SourceAuthError,
    SourceEntity,
)
from syncs import bulk, indexing
from syncs.indexing import WrittenEntity
from syncs.models import Entity, SearchChunk, Sync, SyncJob

logger = logging.getLogger("weft.syncs.engine")


class JobCancelled(Exception):
    """The job was asked to stop between two batches."""


class JobTakenOver(Exception):
    """The job left ``running`` behind this worker's back (the sweeper failed it): stop."""


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def content_hash(entity: SourceEntity, volatile: Iterable[str] = ()) -> str:
    """SHA-256 over a canonical JSON of what the entity says.

    The download ``url`` (often signed, so different on every read) and the source's volatile
    fields are left out, so that they alone never count as a change.
    """
    excluded = set(volatile)
    payload = {
        "entity_type": entity.entity_type,
        "name": entity.name,
        "text": entity.text,
        "breadcrumbs": [b.as_dict() for b in entity.breadcrumbs],
        "fields": {k: v for k, v in entity.fields.items() if k not in excluded},
        "web_url": entity.web_url,
        "created_at": entity.created_at,
        "updated_at": entity.updated_at,
    }
    # No NaN: PostgreSQL's jsonb refuses it, so such an entity fails here, alone.
    canonical = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), default=_json_default, allow_nan=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


# What an update rewrites, in the order BatchWriter._content_values gives them.
CONTENT_COLUMNS = (
    "name",
    "text",
    "content_hash",
    "breadcrumbs",
    "fields",
    "web_url",
    "url",
    "source_created_at",
    "source_updated_at",
)
JSON_COLUMNS = {"breadcrumbs", "fields"}


@dataclass
class BatchResult:
    inserted: int = 0
    updated: int = 0
    kept: int = 0
    deleted: int = 0
    skipped: int = 0
    failed: int = 0
    failures: list[dict[str, str]] = field(default_factory=list)

    def fail(self, error: EntityError) -> None:
        self.failed += 1
        self.failures.append({"entity_id": error.entity_id, "reason": error.reason})

    def counters(self) -> dict[str, int]:
        return {
            "entities_inserted": self.inserted,
            "entities_updated": self.updated,
            "entities_kept": self.kept,
            "entities_deleted": self.deleted,
            "entities_skipped": self.skipped,
            "entities_failed": self.failed,
        }


# What the job keeps of failed entities: their ids and reasons.
Failures = list[dict[str, str]]

ENTITY_COLUMNS = (
    "collection_id",
    "source_connection_id",
    "entity_id",
    "entity_type",
    *CONTENT_COLUMNS,
    "first_sync_job_id",
    "last_sync_job_id",
    "synced_at",
)


# A run that inserted this many rows refreshes the planner's statistics (see bulk.py).
ANALYZE_AFTER_INSERTS = 10_000
# SQLite takes at most 32,766 parameters in one statement.
MAX_KEYS_PER_QUERY = 10_000


class BatchWriter:
    """Writes one run's batches for one source connection."""

    def __init__(self, job: SyncJob, source_connection: SourceConnection, volatile=()) -> None:
        self.job = job
        self.source_connection = source_connection
        self.volatile = tuple(volatile)
        self.now = timezone.now()
        bounds = Entity.objects.filter(source_connection=source_connection).aggregate(
            lo=Min("id"), hi=Max("id")
        )
        # Rows above this id were inserted by this run; rows at or below it existed before.
        self.max_existing_pk: int = bounds["hi"] or 0
        self.seen = SeenIds(bounds["lo"] or 0, self.max_existing_pk)
        # The values every row of this run shares, already as the database stores them.
        as_uuid, self.as_datetime = bulk.uuid_adapter(), bulk.datetime_adapter()
        self.collection_value = as_uuid(source_connection.collection_id)
        self.connection_value = as_uuid(source_connection.pk)
        self.job_value = as_uuid(job.pk)
        self.now_value = self.as_datetime(self.now)

    def write(
        self,
        items: list[SourceEntity | EntityDeletion],
        source_failures: Sequence[tuple[str, str]] = (),
    ) -> BatchResult:
        """Write a batch; ``source_failures`` are the (entity_id, reason) the source noted for it.

        An item the source could not read counts once, as failed, and is not written: its
        stored version, if any, stays as it was and is not deleted as unseen.
        """
        result = BatchResult()
        for entity_id, reason in source_failures:
            result.fail(EntityError(str(entity_id), str(reason)))
        unreadable = {str(entity_id) for entity_id, _ in source_failures}
        prepared: dict[tuple[str, str], tuple[SourceEntity, str]] = {}
        failed: list[tuple[str, str]] = []
        deletions: set[tuple[str, str]] = set()
        for item in items:
            key = (item.entity_type, item.entity_id)
            if isinstance(item, EntityDeletion):
                deletions.add(key)
                continue
            if item.entity_id in unreadable:
                failed.append(key)
                continue
            if key in prepared:
                result.skipped += 1
                continue
            try:
                prepared[key] = (item, self._hash(item))
            except EntityError as error:
                failed.append(key)
                result.fail(error)
        with transaction.atomic():
            existing = self._existing([*prepared, *failed])
            self._keep_failed(failed, existing)
            self._upsert(prepared, existing, result)
            if deletions:
                result.deleted += self._delete(deletions)
        return result

    def _keep_failed(self, failed: list[tuple[str, str]], existing: dict) -> None:
        """An entity that failed this time still exists at the source: do not delete it."""
        for key in failed:
            found = existing.get(key)
            if found is not None and found[0] <= self.max_existing_pk:
                self.seen.add(found[0])

    def _hash(self, entity: SourceEntity) -> str:
        if not entity.entity_id or len(entity.entity_id) > 512:
            raise EntityError(entity.entity_id[:100], "entity_id must be 1-512 characters")
        try:
            return content_hash(entity, self.volatile)
        except (TypeError, ValueError) as exc:
            raise EntityError(entity.entity_id, f"cannot serialise fields: {exc}") from None

    def _existing(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, str]]:
        """(entity_type, entity_id) -> (pk, content_hash) of the stored rows among ``keys``.

        One query per batch (of up to MAX_KEYS_PER_QUERY keys), reading only those four
        columns: one ``UNION ALL`` branch per entity type, each an equality on (connection,
        type) and an ``IN`` on the id, so both databases seek the unique (connection, type, id)
        index. (An ``OR`` of the types made SQLite scan every row of the connection, per batch.)
        """
        keys = list(keys)
        found: dict[tuple[str, str], tuple[int, str]] = {}
        for start in range(0, len(keys), MAX_KEYS_PER_QUERY):
            found.update(self._existing_query(keys[start : start + MAX_KEYS_PER_QUERY]))
        return found

    def _existing_query(self, keys: list[tuple[str, str]]) -> dict:
        by_type: dict[str, list[str]] = {}
        for entity_type, entity_id in keys:
            by_type.setdefault(entity_type, []).append(entity_id)
        select = f"SELECT entity_type, entity_id, id, content_hash FROM {Entity._meta.db_table}"
        branches: list[str] = []
        params: list[Any] = []
        postgresql = bulk.is_postgresql()
        for entity_type, ids in by_type.items():
            if postgresql:
                # One seek per key, whatever the statistics say: with stale ones (during a big
                # first sync) PostgreSQL turned an IN list into a filter over the type's rows.
                # LIMIT 1 (the index is unique) keeps the subquery from being flattened.
                branches.append(
                    "SELECT e.* FROM unnest(%s::text[]) AS k(entity_id) CROSS JOIN LATERAL"
                    f" ({select} WHERE source_connection_id = %s AND entity_type = %s"
                    " AND entity_id = k.entity_id LIMIT 1) AS e"
                )
                params += [ids, self.connection_value, entity_type]
                continue
            branches.append(
                f"{select} WHERE source_connection_id = %s AND entity_type = %s"
                f" AND entity_id IN ({', '.join(['%s'] * len(ids))})"
            )
            params += [self.connection_value, entity_type, *ids]
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(branches), params)
            return {(row[0], row[1]): (row[2], row[3]) for row in cursor.fetchall()}

    def _upsert(self, prepared: dict, existing: dict, result: BatchResult) -> None:
        """Insert the new, rewrite the changed; a kept row costs a bit in ``seen``, no write."""
        inserts: list[tuple[SourceEntity, list]] = []
        updates: list[tuple[int, SourceEntity, list]] = []
        seen, max_existing_pk = self.seen, self.max_existing_pk
        for key, (entity, digest) in prepared.items():
            found = existing.get(key)
            if found is not None and (found[0] > max_existing_pk or found[0] in seen):
                result.skipped += 1  # already written by an earlier batch of this run
                continue
            if found is not None:
                seen.add(found[0])
                if found[1] == digest:
                    result.kept += 1
                    continue
            try:
                values = self._content_values(entity, digest)
            except (TypeError, ValueError) as exc:
                result.fail(EntityError(entity.entity_id, f"cannot serialise fields: {exc}"))
                continue
            if found is None:
                inserts.append((entity, values))
            else:
                updates.append((found[0], entity, values))
        written = self._insert(inserts) + self._update(updates)
        result.inserted += len(inserts)
        result.updated += len(updates)
        if written:
            keys = [(entity.entity_type, entity.entity_id) for entity, _ in inserts]
            keys += [(entity.entity_type, entity.entity_id) for _, entity, _ in updates]
            indexing.entities_written(self.source_connection, keys, written)

    def _content_values(self, entity: SourceEntity, digest: str) -> list:
        """The CONTENT_COLUMNS of a row, as the database stores them."""
        return [
            # PostgreSQL text cannot hold NUL, which extracted documents sometimes contain.
            (entity.name or entity.entity_id)[:1024].replace("\x00", ""),
            (entity.text or "").replace("\x00", ""),
            digest,
            json.dumps([b.as_dict() for b in entity.breadcrumbs]),
            json.dumps(entity.fields, default=_json_default, allow_nan=False),
            (entity.web_url or "")[:2048],
            (entity.url or "")[:2048],
            self.as_datetime(entity.created_at),
            self.as_datetime(entity.updated_at),
        ]

    def _insert(self, inserts: list[tuple[SourceEntity, list]]) -> list[WrittenEntity]:
        shared = (self.collection_value, self.connection_value)
        tail = (self.job_value, self.job_value, self.now_value)
        rows = [(*shared, e.entity_id, e.entity_type, *values, *tail) for e, values in inserts]
        ids = bulk.insert_returning_ids(Entity._meta.db_table, ENTITY_COLUMNS, rows)
        collection_id = self.source_connection.collection_id
        return [
            WrittenEntity(pk, collection_id, values[0], values[1], True)
            for pk, (_, values) in zip(ids, inserts, strict=True)
        ]

    def _update(self, updates: list[tuple[int, SourceEntity, list]]) -> list[WrittenEntity]:
        tail = (self.job_value, self.now_value)
        rows = [(*values, *tail, pk) for pk, _, values in updates]
        bulk.update_by_id(Entity._meta.db_table, _assignments(), rows)
        collection_id = self.source_connection.collection_id
        return [
            WrittenEntity(pk, collection_id, values[0], values[1], False)
            for pk, _, values in updates
        ]

    def _delete(self, keys: set[tuple[str, str]]) -> int:
        ids = [
            pk
            for (entity_type, entity_id), (pk, _) in self._existing(keys).items()
            if (entity_type, entity_id) in keys
        ]
        return delete_entities(ids)

    def delete_unseen(self) -> int:
        """After a complete full enumeration: remove what this run did not see."""
        existing = Entity.objects.filter(
            source_connection=self.source_connection, id__lte=self.max_existing_pk
        ).order_by("id")
        total, after = 0, 0
        while ids := list(existing.filter(id__gt=after).values_list("id", flat=True)[:10_000]):
            after = ids[-1]
            total += delete_entities([pk for pk in ids if pk not in self.seen])
        return total


class SeenIds:
    """The ids of pre-existing entities a run has seen: one bit per id in their range.

    A bitmap keeps memory small and flat (1.25 MB per ten million ids of range) where a set of
    a million ints would take tens of megabytes; nothing is written to the database for an
    entity that did not change.
    """

    def __init__(self, lo: int, hi: int) -> None:
        self.lo = lo
        self.bits = bytearray((hi - lo) // 8 + 1 if hi >= lo else 0)

    def add(self, pk: int) -> None:
        offset = pk - self.lo
        self.bits[offset >> 3] |= 1 << (offset & 7)

    def __contains__(self, pk: int) -> bool:
        offset = pk - self.lo
        if offset < 0 or (offset >> 3) >= len(self.bits):
            return False
        return bool(self.bits[offset >> 3] & (1 << (offset & 7)))


def _assignments() -> list[str]:
    """``column = placeholder`` for what an update rewrites: the content, the job, the time."""
    json_value = bulk.json_placeholder()
    columns = [*CONTENT_COLUMNS, "last_sync_job_id", "synced_at"]
    return [f"{c} = {json_value if c in JSON_COLUMNS else '%s'}" for c in columns]


def delete_entities(ids: list[int]) -> int:
    if not ids:
        return 0
    indexing.entities_deleting(ids)
    # A raw delete skips Django's cascade collector; the index rows went just above.
    return Entity.objects.filter(pk__in=ids)._raw_delete(Entity.objects.db)


# A slow source still ends a batch this often, so the heartbeat beats (the sweeper fails a
# silent job) and a cancel request is seen.
MAX_BATCH_SECONDS = 30.0


def batched(
    iterable: Iterable, size: int, max_seconds: float = MAX_BATCH_SECONDS
) -> Iterator[list]:
    """Lists of up to ``size`` items; a batch also ends once it has taken ``max_seconds``."""
    batch: list = []
    started = time.monotonic()
    for item in iterable:
        batch.append(item)
        if len(batch) >= size or time.monotonic() - started >= max_seconds:
            yield batch
            batch, started = [], time.monotonic()
    if batch:
        yield batch


# --- Running a job ----------------------------------------------------------------------------


def build_source(source_connection: SourceConnection, *, cursor: dict) -> BaseSource:
    from connections.services import OAUTH_METHODS, source_connection_credentials

    source_cls = source_connection.source_class
    if source_cls is None:
        raise RuntimeError(f"Source '{source_connection.short_name}' is not installed")
    source = source_cls(
        credentials=source_connection_credentials(source_connection),
        config=source_connection.config,
        cursor=cursor,
    )
    if source_connection.auth_method in (*OAUTH_METHODS, AuthMethod.AUTH_PROVIDER):
        # Per request: a long run refreshes its token before expiry, and once after a 401
        # (an auth-provider connection asks its provider again, past the cache).
        def current(force_refresh: bool) -> dict:
            return source_connection_credentials(source_connection, force_refresh=force_refresh)

        source.credentials_provider = current
    return source


def _error_category(source_connection: SourceConnection, error: Exception) -> str:
    # A credentials resolver that knows the precise reason (an auth provider) says so.
    category = getattr(error, "error_category", None)
    if category:
        return category
    if source_connection.auth_method == AuthMethod.DIRECT:
        return SyncJob.ErrorCategory.API_KEY_INVALID
    if source_connection.auth_method == AuthMethod.AUTH_PROVIDER:
        return SyncJob.ErrorCategory.AUTH_PROVIDER_CREDENTIALS_INVALID
    return SyncJob.ErrorCategory.OAUTH_CREDENTIALS_EXPIRED


def run_sync_job(job_id) -> str:
    """Claim a pending job and run it to a terminal status; returns that status."""
    # Another worker may have claimed or cancelled this job since it was queued.
    claimed = SyncJob.objects.filter(pk=job_id, status=SyncJob.Status.PENDING).update(
        status=SyncJob.Status.RUNNING,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
        modified_at=timezone.now(),
    )
    job = SyncJob.objects.select_related("sync", "source_connection").filter(pk=job_id).first()
    if job is None:
        return "deleted"
    if claimed != 1:
        return job.status
    try:
        return _run_claimed(job)
    except SyncJob.DoesNotExist:
        # The connection (and with it this job) was deleted while the job ran.
        return "deleted"


def _run_claimed(job: SyncJob) -> str:
    from connections.services import redact_secrets
    from syncs.services import sync_pause

    if not SourceConnection.objects.filter(pk=job.source_connection_id).exists():
        raise SyncJob.DoesNotExist()
    secrets: list[str] = []
    try:
        secrets = _secret_values(job.source_connection)
        _run(job, secrets)
    except JobCancelled:
        _end_cancelled(job)
    except JobTakenOver:
        logger.warning("Sync job %s ended elsewhere while running; stopped", job.pk)
    except SourceAuthError as error:
        message = redact_secrets(str(error), secrets) or "The source refused the credentials"
        logger.warning("Sync job %s: the source refused the credentials: %s", job.pk, message)
        if _end_failed(job, message, _error_category(job.source_connection, error)):
            reason = "Credentials were refused; re-authenticate to resume."
            sync_pause(sync=job.sync, reason=reason)
    except Exception as error:  # noqa: BLE001 - whatever broke the run, the job ends failed
        if not SyncJob.objects.filter(pk=job.pk).exists():
            raise SyncJob.DoesNotExist() from None
        trace = "".join(traceback.format_exception(error))
        logger.error("Sync job %s failed: %s", job.pk, redact_secrets(trace, secrets))
        _end_failed(job, redact_secrets(_user_message(error), secrets))
    indexing.run_ended()
    job.refresh_from_db()
    return job.status


def _secret_values(source_connection: SourceConnection) -> list[str]:
    """The connection's secrets, to keep them out of job errors and logs."""
    from connections.services import secret_values, source_connection_credentials

    source_cls = source_connection.source_class
    if source_cls is None:
        return []
    return secret_values(source_cls, source_connection_credentials(source_connection))


def _user_message(error: Exception) -> str:
    text = str(error) or error.__class__.__name__
    return text[:2000]


def _end_cancelled(job: SyncJob) -> None:
    job.refresh_from_db()
    if job.status == SyncJob.Status.CANCELLING:
        job.mark_cancelled()


def _end_failed(job: SyncJob, message: str, category: str | None = None) -> bool:
    """Fail a job whose run broke; returns whether it failed. One asked to stop ends cancelled."""
    job.refresh_from_db()
    if job.status == SyncJob.Status.RUNNING and job.fail(message, category):
        return True
    # A failed fail() has refreshed the job: a cancel request may have come first.
    if job.status == SyncJob.Status.CANCELLING:
        job.mark_cancelled()
    return False


def _check_running(status: str) -> None:
    """Stop if the job was asked to stop, or ended behind this worker's back (the sweeper)."""
    if status == SyncJob.Status.CANCELLING:
        raise JobCancelled()
    if status != SyncJob.Status.RUNNING:
        raise JobTakenOver()


def _run(job: SyncJob, secrets: list[str]) -> None:
    cursor = {} if job.force_full_sync else dict(job.sync.cursor or {})
    source = build_source(job.source_connection, cursor=cursor)
    # Decided before the run: the source may set a cursor while it runs.
    job.sync_type = SyncJob.SyncType.INCREMENTAL if source.is_incremental else SyncJob.SyncType.FULL
    SyncJob.objects.filter(pk=job.pk).update(sync_type=job.sync_type)
    writer = BatchWriter(job, job.source_connection, getattr(source, "volatile_fields", ()))
    failures: Failures = []
    batches = batched(source.generate_entities(), settings.WEFT_SYNC_BATCH_SIZE, MAX_BATCH_SECONDS)
    for items in batches:
        # The source noted these while it produced this batch (it is paused until we return).
        result = writer.write(items, _take_source_failures(source))
        _record(job, source, result, failures, secrets)
    _finish(job, source, writer, failures, secrets)


def _record(
    job: SyncJob, source: BaseSource, result: BatchResult, failures: Failures, secrets: list[str]
) -> None:
    """Add a batch's counters, and the failures the source noted meanwhile, to the job."""
    _collect_source_failures(source, result)
    _note_failures(failures, result.failures, secrets)
    _check_running(job.record_progress(result.counters()))
    if result.failures:
        SyncJob.objects.filter(pk=job.pk).update(error_details={"entity_failures": failures})


def _finish(
    job: SyncJob, source: BaseSource, writer: BatchWriter, failures: Failures, secrets: list[str]
) -> None:
    """The enumeration completed: a full run deletes what it did not see; then complete."""
    final = BatchResult()
    if job.sync_type == SyncJob.SyncType.FULL:
        # Only now is "not seen" proof of "deleted at the source".
        _check_running(SyncJob.objects.values_list("status", flat=True).get(pk=job.pk))
        final.deleted = writer.delete_unseen()
    with transaction.atomic():
        _record(job, source, final, failures, secrets)
        if not job.complete():
            _check_running(job.status)
        Sync.objects.filter(pk=job.sync_id).update(
            cursor=source.cursor if source.supports_continuous else {},
            cursor_updated_at=timezone.now(),
        )
    if job.entities_inserted >= ANALYZE_AFTER_INSERTS:
        bulk.refresh_statistics([Entity._meta.db_table, SearchChunk._meta.db_table])


def _take_source_failures(source: BaseSource) -> list[tuple[str, str]]:
    pending = getattr(source, "entity_failures", None) or []
    taken = list(pending)
    pending.clear()
    return taken


def _collect_source_failures(source: BaseSource, result: BatchResult) -> None:
    """Failures the source noted after its last item (a folder it could not list...)."""
    for entity_id, reason in _take_source_failures(source):
        result.fail(EntityError(str(entity_id), str(reason)))


def _note_failures(kept: Failures, new: Failures, secrets: list[str]) -> None:
    """Keep the first failures' reasons for the job, without secrets a source put in them."""
    from connections.services import redact_secrets

    room = SyncJob.MAX_ENTITY_FAILURES_KEPT - len(kept)
    for failure in new[: max(room, 0)]:
        kept.append({key: redact_secrets(value, secrets) for key, value in failure.items()})
