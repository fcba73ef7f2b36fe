"""Search latency: instant keyword search through the full HTTP path, beside the raw SQL floor.

    python bench/search_latency.py [--entities 100000] [--large] [--db sqlite|postgresql|both]
                                   [--reuse]

For each database, in a fresh database: a stub connection syncs ``--entities`` entities
(about 150 words each, drawn from a 20,000-word vocabulary with Zipf's law, as real text
is) through the sync engine, which builds the search index. Then a real server process
(gunicorn, one worker, on 127.0.0.1) answers 200 queries, one at a time (its sync worker
closes each connection), and the same full-text SQL the API runs is timed on the same database
from another process (the floor). Three sets of 200 (see ``queries``): 1-5 words of one entity
(``entity``), 1-5 words drawn independently from the corpus (``corpus``), and 3-10 such words
(``questions``). Beside them, through the
same worker and client: ``GET /api/health`` (Weft's HTTP path before any search work) and
``bench/bare_wsgi.py`` (the least any Python HTTP path costs). Three rounds of all of them
in turn, and each figure is the median of its rounds, since one round on a shared machine can
be a third off the next. ``--large`` is 1,000,000 entities on PostgreSQL.

The prepared database is kept (SQLite and the data folder under the temp dir, PostgreSQL as
``weft_bench_search_<entities>``); ``--reuse`` measures again on it without syncing again.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN", "postgres://postgres@127.0.0.1:5432/postgres")
QUERIES = 200
WARMUP = 20
ROUNDS = 3
KINDS = ("entity", "corpus", "questions")
LIMIT = 10
WORDS_PER_ENTITY = 150
VOCABULARY = 20_000
ZIPF_S = 1.07
SEED = 7
GUNICORN = [sys.executable, "-m", "gunicorn", "-w", "1", "--log-level", "warning"]
sys.path.insert(0, str(ROOT))  # the corpus uses syncs.search.query before Django is set up


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["WEFT_INTERNAL_SOURCES"] = "true"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


# --- The corpus ---------------------------------------------------------------------------------


def vocabulary() -> list[str]:
    """By rank: English stop words first (as in real text), then made-up content words."""
    from syncs.search.query import STOP_WORDS

    syllables = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
    rng = random.Random(SEED)
    words: set[str] = set()
    while len(words) < VOCABULARY - len(STOP_WORDS):
        words.add("".join(rng.choices(syllables, k=rng.choice((2, 2, 3, 3, 4)))))
    content = sorted(words)
    rng.shuffle(content)
    return sorted(STOP_WORDS) + content


def zipf_weights(size: int) -> list[float]:
    total, cumulative = 0.0, []
    for rank in range(1, size + 1):
        total += 1 / rank**ZIPF_S
        cumulative.append(total)
    return cumulative


def register_realistic_stub():
    """The stub source, with Zipf-distributed text instead of its small uniform vocabulary."""
    from connections.sources.registry import register
    from connections.sources.stub import StubSource

    @register
    class RealisticStubSource(StubSource):
        short_name = "bench_stub"
        name = "Bench stub"

        def entity_at(self, index: int, seed: int):
            entity = super().entity_at(index, seed)
            text = entity_words(index)
            entity.name = " ".join(text[:4]).capitalize() + f" #{index}"
            entity.text = " ".join(text)
            return entity

    return RealisticStubSource


@functools.cache
def _distribution() -> tuple[list[str], list[float]]:
    return vocabulary(), zipf_weights(VOCABULARY)


def entity_words(index: int) -> list[str]:
    words, weights = _distribution()
    digest = hashlib.blake2b(f"{SEED}:{index}:zipf".encode(), digest_size=8).digest()
    rng = random.Random(int.from_bytes(digest, "big"))
    return rng.choices(words, cum_weights=weights, k=WORDS_PER_ENTITY)


def queries(count: int, entities: int, kind: str = "entity") -> list[str]:
    """``entity``: 1-5 content words of one random entity, as someone looking for it types (all
    of them match). ``corpus``: 1-5 content words drawn independently with the corpus's own
    frequencies. ``questions``: 3-10 such words, as a question in prose names several things;
    they seldom all occur in one chunk, so any word may match (the costlier ranking)."""
    from syncs.search.query import STOP_WORDS

    rng = random.Random(SEED + 1 + KINDS.index(kind))
    words, weights = _distribution()
    drawn = []
    for _ in range(count):
        if kind == "entity":
            content = sorted(
                {w for w in entity_words(rng.randrange(entities)) if w not in STOP_WORDS}
            )
            drawn.append(" ".join(rng.sample(content, k=min(len(content), rng.randint(1, 5)))))
            continue
        wanted, picked = rng.randint(*((1, 5) if kind == "corpus" else (3, 10))), []
        while len(picked) < wanted:
            word = rng.choices(words, cum_weights=weights)[0]
            if word not in STOP_WORDS and word not in picked:
                picked.append(word)
        drawn.append(" ".join(picked))
    return drawn


# --- Phases (each in its own process) -----------------------------------------------------------


def phase_prepare(entities: int) -> dict:
    _setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    register_realistic_stub()
    from connections import services
    from syncs.engine import run_sync_job
    from syncs.models import SearchChunk
    from syncs.services import sync_job_enqueue

    api_key, plaintext = services.apikey_create(organization_slug="bench", days=1)
    collection = services.collection_create(organization=api_key.organization, name="Bench data")
    source_connection = services.source_connection_create(
        organization=api_key.organization,
        data={
            "short_name": "bench_stub",
            "readable_collection_id": collection.readable_id,
            "config": {"entity_count": entities},
            "sync_immediately": False,
        },
    )
    started = time.perf_counter()
    status = run_sync_job(sync_job_enqueue(sync=source_connection.sync).pk)
    return {
        "status": status,
        "sync_seconds": round(time.perf_counter() - started, 1),
        "chunks": SearchChunk.objects.count(),
        "readable_id": collection.readable_id,
        "api_key": plaintext,
    }


def phase_raw(readable_id: str, entities: int, kind: str) -> dict:
    """The API's full-text SQL, run directly on the same database."""
    _setup_django()
    from django.core.management import call_command
    from django.db import connection

    from connections.models import Collection

    call_command("migrate", verbosity=0)  # a reused database gets this code's schema
    from syncs.search.service import keyword_page_sql

    collection = Collection.objects.get(readable_id=readable_id)
    timings, hits = [], []
    connection.ensure_connection()
    for number, text in enumerate(queries(QUERIES + WARMUP, entities, kind)):
        # The one statement the API runs: the ranked page joined to what a result shows.
        sql, params = keyword_page_sql(
            collection=collection, query=text, filters=[], limit=LIMIT, offset=0
        )
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if number >= WARMUP:
            timings.append(time.perf_counter() - started)
            hits.append(len(rows))
    return {"timings": timings, "hits": hits}


def phase_api(readable_id: str, api_key: str, port: int, entities: int, kind: str) -> dict:
    """Search through the server."""
    import httpx

    url = f"http://127.0.0.1:{port}/api/collections/{readable_id}/search/instant"
    timings, hits = [], []
    with httpx.Client(headers={"x-api-key": api_key}, timeout=30) as client:
        for number, text in enumerate(queries(QUERIES + WARMUP, entities, kind)):
            body = {"query": text, "retrieval_strategy": "keyword", "limit": LIMIT}
            started = time.perf_counter()
            response = client.post(url, json=body)
            elapsed = time.perf_counter() - started
            response.raise_for_status()
            if number >= WARMUP:
                timings.append(elapsed)
                hits.append(len(response.json()["results"]))
    return {"timings": timings, "hits": hits}


def phase_health(port: int) -> list[float]:
    """``GET /api/health`` (one ``SELECT 1``, no key, no rate limit) through the same server and
    client: Weft's HTTP path before any search work."""
    import httpx

    timings = []
    with httpx.Client(timeout=30) as client:
        for number in range(QUERIES + WARMUP):
            started = time.perf_counter()
            client.get(f"http://127.0.0.1:{port}/api/health").raise_for_status()
            if number >= WARMUP:
                timings.append(time.perf_counter() - started)
    return timings


def phase_bare(port: int) -> list[float]:
    """A search-sized POST to ``bench/bare_wsgi.py`` under the same worker, with the same client."""
    import httpx

    timings = []
    with httpx.Client(headers={"x-api-key": "-"}, timeout=30) as client:
        for number in range(QUERIES + WARMUP):
            body = {"query": "a few words", "retrieval_strategy": "keyword", "limit": LIMIT}
            started = time.perf_counter()
            client.post(f"http://127.0.0.1:{port}/", json=body).raise_for_status()
            if number >= WARMUP:
                timings.append(time.perf_counter() - started)
    return timings


# --- Orchestration ------------------------------------------------------------------------------


def _run_phase(env: dict, *args: str) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--phase", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=3 * 3600,
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


def _database_env(db: str, workdir: Path, entities: int) -> dict:
    env = {**os.environ, "WEFT_DATA_DIR": str(workdir), "LOG_LEVEL": "WARNING"}
    env["WEFT_RATE_LIMIT_PER_MINUTE"] = "10000000"  # counted on every request, never refused
    env["WEFT_EMBEDDER"] = "none"
    if db == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    else:
        env["DATABASE_URL"] = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/weft_bench_search_{entities}"
    return env


def _fresh_database(db: str, workdir: Path, entities: int) -> None:
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    if db == "sqlite":
        return
    import psycopg

    name = f"weft_bench_search_{entities}"
    with psycopg.connect(
        PG_ADMIN_URL.replace("postgres://", "postgresql://"), autocommit=True
    ) as c:
        c.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        c.execute(f"CREATE DATABASE {name}")


def _prepared(db: str, entities: int, reuse: bool) -> tuple[dict, dict]:
    """The environment of the bench database and what preparing it returned."""
    workdir = Path(tempfile.gettempdir()) / f"weft-bench-search-{db}-{entities}"
    env = _database_env(db, workdir, entities)
    saved = workdir / "prepared.json"
    if reuse and saved.exists():
        return env, json.loads(saved.read_text())
    _fresh_database(db, workdir, entities)
    prepared = _run_phase(env, "prepare", str(entities))
    saved.write_text(json.dumps(prepared))
    return env, prepared


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(env: dict, port: int, app: str = "config.wsgi") -> subprocess.Popen:
    server = subprocess.Popen(
        [*GUNICORN, app, "-b", f"127.0.0.1:{port}"],
        env={**env, "ALLOWED_HOSTS": "127.0.0.1"},
        cwd=ROOT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the server did not start")


def _ms(values: list[float], quantile: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(quantile * len(ordered)))] * 1000, 1)


def bench_database(db: str, entities: int, reuse: bool = False) -> list[dict]:
    """``ROUNDS`` rounds of raw, API (each query kind), health and bare WSGI in turn; a row per
    query kind, each figure the median of its rounds."""
    env, prepared = _prepared(db, entities, reuse)
    port, bare_port = _free_port(), _free_port()
    server = _serve(env, port)
    bare = _serve(env, bare_port, app="bench.bare_wsgi")
    rounds: dict[str, list[dict]] = {kind: [] for kind in KINDS}
    try:
        for _ in range(ROUNDS):
            floors = {}
            for kind in KINDS:
                raw = _run_phase(env, "raw", prepared["readable_id"], str(entities), kind)
                api = phase_api(prepared["readable_id"], prepared["api_key"], port, entities, kind)
                floors = floors or {
                    "health_p50_ms": _ms(phase_health(port), 0.50),
                    "bare_wsgi_p50_ms": _ms(phase_bare(bare_port), 0.50),
                }
                rounds[kind].append(
                    {
                        "api_p50_ms": _ms(api["timings"], 0.50),
                        "api_p95_ms": _ms(api["timings"], 0.95),
                        "raw_p50_ms": _ms(raw["timings"], 0.50),
                        "raw_p95_ms": _ms(raw["timings"], 0.95),
                        **floors,
                        "mean_hits": round(statistics.mean(api["hits"]), 1),
                        "raw_mean_hits": round(statistics.mean(raw["hits"]), 1),
                        "load_average": round(os.getloadavg()[0], 2),
                    }
                )
    finally:
        for process in (server, bare):
            process.terminate()
            process.wait(timeout=30)
    rows = []
    for kind, measured in rounds.items():
        row = {
            "database": db,
            "entities": entities,
            "chunks": prepared["chunks"],
            "sync_seconds": prepared["sync_seconds"],
            "query_kind": kind,
            "queries": QUERIES,
            "limit": LIMIT,
            **{key: statistics.median(r[key] for r in measured) for key in measured[0]},
            "rounds": measured,
        }
        row["api_over_raw_p50"] = round(row["api_p50_ms"] / max(row["raw_p50_ms"], 0.1), 2)
        rows.append(row)
    return rows


def markdown(rows: list[dict]) -> str:
    lines = [
        "| database | entities | queries | hits | API p50 | API p95 | raw SQL p50 | raw SQL p95 "
        "| API / raw (p50) | health p50 | bare WSGI p50 | load |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['database']} | {r['entities']:,} | {r['query_kind']} | {r['mean_hits']} | "
            f"{r['api_p50_ms']} ms | "
            f"{r['api_p95_ms']} ms | {r['raw_p50_ms']} ms | {r['raw_p95_ms']} ms | "
            f"{r['api_over_raw_p50']}x | {r['health_p50_ms']} ms | {r['bare_wsgi_p50_ms']} ms | "
            f"{r['load_average']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--large", action="store_true", help="1,000,000 entities, PostgreSQL")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--reuse", action="store_true", help="measure on the database the last run prepared"
    )
    parser.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        name, *rest = args.phase
        if name == "prepare":
            result = phase_prepare(int(rest[0]))
        else:
            result = phase_raw(rest[0], int(rest[1]), rest[2])
        print(json.dumps(result))
        return
    entities = 1_000_000 if args.large else args.entities
    databases = ["postgresql"] if args.large else ["sqlite", "postgresql"]
    if args.db != "both":
        databases = [args.db]
    rows = [row for db in databases for row in bench_database(db, entities, args.reuse)]
    out = ROOT / "bench" / "results" / f"search_latency_{entities}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(rows, indent=2) + "\n")
    print(markdown(rows))


if __name__ == "__main__":
    main()
