"""Sync throughput: entities per second and peak memory of the sync engine, beside the raw limit.

    python bench/sync_throughput.py [--entities 100000] [--large] [--db sqlite|postgresql|both]

Each phase runs in a fresh process (so its peak RSS is its own) against a throwaway database:
(1) first sync, (2) re-sync with nothing changed, (3) re-sync with 10% changed and 5% deleted,
and (4) the physical limit: the same rows written into the same table and indexes by the fastest
raw path (psycopg COPY on PostgreSQL, one executemany transaction on SQLite).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN", "postgres://postgres@127.0.0.1:5432/postgres")
PG_BENCH_DB = "weft_bench_sync"
WORDS_PER_ENTITY = 140  # about 1 KB of text
COUNT_KEYS = ("inserted", "updated", "kept", "deleted")


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["WEFT_INTERNAL_SOURCES"] = "true"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- Phases (each runs in its own process) -----------------------------------------------------


def phase_prepare(entities: int) -> dict:
    _setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from connections import services

    api_key, _ = services.apikey_create(organization_slug="bench")
    collection = services.collection_create(organization=api_key.organization, name="Bench data")
    source_connection = services.source_connection_create(
        organization=api_key.organization,
        data={
            "short_name": "stub",
            "readable_collection_id": collection.readable_id,
            "config": {"entity_count": entities, "text_words": WORDS_PER_ENTITY},
            "sync_immediately": False,
        },
    )
    return {"source_connection_id": str(source_connection.pk)}


def phase_sync(source_connection_id: str, config_patch: dict) -> dict:
    _setup_django()
    from connections.models import SourceConnection
    from syncs import engine
    from syncs.models import SyncJob
    from syncs.services import sync_job_enqueue

    source_connection = SourceConnection.objects.select_related("sync").get(pk=source_connection_id)
    if config_patch:
        source_connection.config.update(config_patch)
        source_connection.save(update_fields=["config"])
    job = sync_job_enqueue(sync=source_connection.sync)
    started = time.perf_counter()
    status = engine.run_sync_job(job.pk)
    elapsed = time.perf_counter() - started
    job = SyncJob.objects.get(pk=job.pk)
    return {
        "status": status,
        "seconds": elapsed,
        "entities": job.entities_inserted + job.entities_updated + job.entities_kept,
        "inserted": job.entities_inserted,
        "updated": job.entities_updated,
        "kept": job.entities_kept,
        "deleted": job.entities_deleted,
        "peak_rss_mb": _peak_rss_mb(),
    }


RAW_BLOCK = 5_000  # rows per COPY / executemany: the chunks need their entities' ids


def phase_raw(source_connection_id: str, entities: int) -> dict:
    """The same rows, entities and their search chunks, by the fastest raw path; then removed.

    One transaction; per block of entities: their ids, the entity rows, then their chunk rows
    (PostgreSQL computes the GIN-indexed tsvector, SQLite's triggers fill the FTS5 table), the
    same tables and indexes the engine writes.
    """
    _setup_django()
    import uuid

    from django.db import connection, transaction
    from django.utils import timezone

    from connections.models import SourceConnection
    from connections.sources.stub import StubSource
    from syncs.engine import content_hash
    from syncs.models import Entity, SearchChunk
    from syncs.search.chunking import split_text

    source_connection = SourceConnection.objects.get(pk=source_connection_id)
    # A twin connection so the rows do not collide with the synced ones.
    twin = SourceConnection.objects.create(
        organization_id=source_connection.organization_id,
        collection_id=source_connection.collection_id,
        short_name="stub",
        name="Raw twin",
        auth_method="direct",
        is_authenticated=True,
    )
    source = StubSource(config={"entity_count": entities, "text_words": WORDS_PER_ENTITY})
    is_pg = connection.vendor == "postgresql"
    job_id, now = uuid.uuid4(), timezone.now()
    if not is_pg:
        job_id, now = job_id.hex, connection.ops.adapt_datetimefield_value(now)
    collection_id = twin.collection_id if is_pg else twin.collection_id.hex
    connection_id = twin.pk if is_pg else twin.pk.hex
    columns = [
        "id", "collection_id", "source_connection_id", "entity_id", "entity_type", "name",
        "text", "content_hash", "breadcrumbs", "fields", "web_url", "url", "source_created_at",
        "source_updated_at", "first_sync_job_id", "last_sync_job_id", "synced_at",
    ]  # fmt: skip
    chunk_columns = ["entity_id", "collection_id", "chunk_index", "name", "text"]
    as_datetime = (lambda v: v) if is_pg else connection.ops.adapt_datetimefield_value
    tables = (Entity._meta.db_table, SearchChunk._meta.db_table)

    def block_rows(block, ids):
        for pk, entity in zip(ids, block, strict=True):
            yield (
                pk, collection_id, connection_id, entity.entity_id, entity.entity_type,
                entity.name, entity.text, content_hash(entity),
                json.dumps([b.as_dict() for b in entity.breadcrumbs]), json.dumps(entity.fields),
                entity.web_url, entity.url, as_datetime(entity.created_at),
                as_datetime(entity.updated_at), job_id, job_id, now,
            )  # fmt: skip

    def chunk_rows(block, ids):
        for pk, entity in zip(ids, block, strict=True):
            for index, text in enumerate(split_text(entity.text)):
                yield pk, collection_id, index, entity.name, text

    def write(cursor, table, names, rows):
        if is_pg:
            with cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(names))
            cursor.executemany(
                f"INSERT INTO {table} ({', '.join(names)}) VALUES ({placeholders})", rows
            )

    def reserve_ids(cursor, count):
        if is_pg:
            cursor.execute(
                f"SELECT nextval(pg_get_serial_sequence('{tables[0]}', 'id'))"
                " FROM generate_series(1, %s)",
                [count],
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {tables[0]}")
        last = cursor.fetchone()[0]
        return list(range(last + 1, last + 1 + count))

    started = time.perf_counter()
    with transaction.atomic():
        connection.ensure_connection()
        cursor = connection.connection.cursor() if is_pg else connection.cursor()
        block = []
        for entity in itertools.chain(source.generate_entities(), [None]):
            if entity is not None:
                block.append(entity)
            if block and (entity is None or len(block) == RAW_BLOCK):
                ids = reserve_ids(cursor, len(block))
                write(cursor, tables[0], columns, block_rows(block, ids))
                write(cursor, tables[1], chunk_columns, chunk_rows(block, ids))
                block = []
        cursor.close()
    elapsed = time.perf_counter() - started
    peak = _peak_rss_mb()
    twin_entities = Entity.objects.filter(source_connection=twin)
    SearchChunk.objects.filter(entity__in=twin_entities)._raw_delete(SearchChunk.objects.db)
    twin_entities._raw_delete(Entity.objects.db)
    twin.delete()
    # The first sync that follows starts from tables as empty as these were.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM" if not is_pg else f"VACUUM ANALYZE {', '.join(tables)}")
    return {"seconds": elapsed, "entities": entities, "peak_rss_mb": peak}


# --- Orchestration ------------------------------------------------------------------------------


def _run_phase(env: dict, *args: str) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--phase", *args],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result = json.loads(output.strip().splitlines()[-1])
    # Each phase as it ends, so that a long run (--large) shows progress.
    print(
        f"{time.strftime('%H:%M:%S')} {args[0]}: {json.dumps(result)}", file=sys.stderr, flush=True
    )
    return result


def _database_env(db: str, workdir: Path) -> dict:
    env = {**os.environ, "WEFT_DATA_DIR": str(workdir), "WEFT_RATE_LIMIT_PER_MINUTE": "0"}
    if db == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
        return env
    import psycopg

    with psycopg.connect(
        PG_ADMIN_URL.replace("postgres://", "postgresql://"), autocommit=True
    ) as c:
        c.execute(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")
        c.execute(f"CREATE DATABASE {PG_BENCH_DB}")
    env["DATABASE_URL"] = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{PG_BENCH_DB}"
    return env


def bench_database(db: str, entities: int) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="weft-bench-") as tmp:
        env = _database_env(db, Path(tmp))
        sc_id = _run_phase(env, "prepare", str(entities))["source_connection_id"]
        # The raw limit first, on empty tables, as the first sync finds them.
        raw = _run_phase(env, "raw", sc_id, str(entities))
        first = _run_phase(env, "sync", sc_id, "{}")
        unchanged = _run_phase(env, "sync", sc_id, "{}")
        changed = _run_phase(
            env,
            "sync",
            sc_id,
            json.dumps({"revision": 1, "change_fraction": 0.10, "delete_fraction": 0.05}),
        )
    rate = {name: r["entities"] / r["seconds"] for name, r in (("raw", raw), ("first", first))}
    # The targets are ratios within one run: first sync / raw rate, and how much faster an
    # unchanged re-sync is than the first sync.
    rows = [
        ("first sync", first, f"{rate['first'] / rate['raw']:.0%} of raw"),
        (
            "re-sync, nothing changed",
            unchanged,
            f"{first['seconds'] / unchanged['seconds']:.1f}x first",
        ),
        (
            "re-sync, 10% changed, 5% deleted",
            changed,
            f"{first['seconds'] / changed['seconds']:.1f}x first",
        ),
        ("raw limit (" + ("COPY" if db == "postgresql" else "executemany") + ")", raw, ""),
    ]
    return [
        {
            "database": db,
            "phase": name,
            "entities": result["entities"],
            "seconds": round(result["seconds"], 2),
            "per_second": round(result["entities"] / result["seconds"]) if result["seconds"] else 0,
            "peak_rss_mb": round(result["peak_rss_mb"]),
            "counts": {
                k: result[k] for k in ("inserted", "updated", "kept", "deleted") if k in result
            },
            "versus": versus,
        }
        for name, result, versus in rows
    ]


def markdown(results: list[dict]) -> str:
    lines = [
        "| database | phase | entities | seconds | entities/s | versus | peak RSS (MB) | counts |",
        "|---|---|---:|---:|---:|---|---:|---|",
    ]
    for r in results:
        counts = ", ".join(f"{k} {v}" for k, v in r["counts"].items())
        lines.append(
            f"| {r['database']} | {r['phase']} | {r['entities']:,} | {r['seconds']} | "
            f"{r['per_second']:,} | {r['versus']} | {r['peak_rss_mb']} | {counts} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phase", nargs="+")
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--large", action="store_true", help="1,000,000 entities")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    if args.phase:
        name, *rest = args.phase
        if name == "prepare":
            result = phase_prepare(int(rest[0]))
        elif name == "sync":
            result = phase_sync(rest[0], json.loads(rest[1]))
        else:
            result = phase_raw(rest[0], int(rest[1]))
        print(json.dumps(result))
        return
    entities = 1_000_000 if args.large else args.entities
    databases = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    results = [row for db in databases for row in bench_database(db, entities)]
    print(markdown(results))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"sync_throughput_{entities}.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
