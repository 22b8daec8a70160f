"""Sandbox query latency at 10k, 100k and 1M contacts, SQLite beside PostgreSQL, at the API over HTTP.

    .venv/bin/python benchmarks/sandbox_query.py [--engines sqlite,postgres] [--sizes 10000,100000,1000000] [--requests 60]

The data is kept under benchmarks/.data/ (git-ignored) and reused by later runs, since
seeding a million contacts takes minutes: one database per engine and size, each made
from a copy of the next smaller one plus the contacts it lacks (a run that was stopped
half-way goes on where it stopped). SQLite: files sandbox_query-<size>.sqlite3.
PostgreSQL: a cluster of its own in benchmarks/.data/postgres/ (tests/services.py,
started for the run and stopped after), one database sandbox_query_<size> per size.
`--reseed` deletes them first.

Every database is served by its own `manage.py runserver` (DEBUG off, the sandbox
mounted), all engines of one size at the same time; each case is timed with keep-alive
requests.Session()s, one request per engine in turn, so that load from elsewhere on the
machine falls on both engines alike. Prints p50 / p95 in ms per case, size and engine,
and the budget at the largest size (≤ 20 ms p50 for the indexed cases).
"""

import argparse
import contextlib
import os
import sqlite3
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import harness  # benchmarks/ is on sys.path when a script runs

ROOT, DATA = harness.ROOT, harness.DATA
TEAM = "b0000000-0000-4000-8000-000000000001"
# Fixed, because the kept databases hold it (hashed).
KEY = "sk_bench_sandbox_query_kept_data_key_0123456789"
FIRST_PORT = 8799
SELECT = ["first_name", "last_name", "email", "status", "organization.name"]
ENGINES = ("sqlite", "postgres")
BUDGET_MS = 20

CASES = {
    "default order, page 1": ({"query": {"select": SELECT, "limit": 25}}, True),
    "100th page via cursors": (None, True),
    "eq on a select": ({"query": {"select": SELECT, "filter": [{"status": {"=": "churned"}}], "limit": 25}}, True),
    "range on a number": ({"query": {"select": SELECT, "filter": [{"score": {">=": "90"}}], "limit": 25}}, True),
    "sort by a number": ({"query": {"select": SELECT, "sort": [{"score": "desc"}], "limit": 25}}, True),
    "contains on text": ({"query": {"select": SELECT, "filter": [{"first_name": {"contains": "an"}}], "limit": 25}}, False),
}


@dataclass(frozen=True)
class Database:
    engine: str
    size: int
    url: str  # DATABASE_URL

    def env(self) -> dict[str, str]:
        return harness.django_env(DATA / "unused.sqlite3", TEAM, KEY) | {"DATABASE_URL": self.url}


def sqlite_path(size: int) -> Path:
    return DATA / f"sandbox_query-{size}.sqlite3"


def pg_name(size: int) -> str:
    return f"sandbox_query_{size}"


def pg_databases(server_url: str) -> set[str]:
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        return {row[0] for row in conn.execute("SELECT datname FROM pg_database")}


def make_copy(engine: str, server_url: str, smaller: int | None, size: int) -> None:
    """The database for `size`, empty or copied from the one for `smaller`; kept when it exists."""
    if engine == "sqlite":
        path = sqlite_path(size)
        if path.exists():
            return
        if smaller is not None:
            source, target = sqlite3.connect(sqlite_path(smaller)), sqlite3.connect(f"{path}.partial")
            try:
                source.backup(target)
            finally:
                source.close()
                target.close()
            Path(f"{path}.partial").rename(path)
        return
    import psycopg

    if pg_name(size) in pg_databases(server_url):
        return
    template = f" TEMPLATE {pg_name(smaller)}" if smaller is not None else ""
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {pg_name(size)}{template}")


def database(engine: str, server_url: str, size: int) -> Database:
    if engine == "sqlite":
        return Database(engine, size, f"sqlite:///{sqlite_path(size)}")
    return Database(engine, size, server_url.rsplit("/", 1)[0] + f"/{pg_name(size)}")


def prepare(engine: str, server_url: str, sizes: list[int]) -> list[Database]:
    """Every size's database, migrated and seeded (in steps, each kept), smallest first."""
    made = []
    smaller = None
    for size in sizes:
        make_copy(engine, server_url, smaller, size)
        db = database(engine, server_url, size)
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=db.env(), check=True)
        t0 = time.perf_counter()
        # Seeding in a process of its own: Django there points at this one database.
        out = subprocess.run(
            [sys.executable, __file__, "--seed-to", str(size)], cwd=ROOT, env=db.env(), check=True, capture_output=True, text=True
        )
        print(f"{engine} {size:,}: {out.stdout.strip()} ({time.perf_counter() - t0:.0f} s)", flush=True)
        made.append(db)
        smaller = size
    return made


def seed_to(size: int) -> str:
    """In the seeding process: bring the team in DATABASE_URL up to `size` contacts."""
    harness.setup_django(dict(os.environ))
    from django.db import connection
    from django.utils import timezone

    from prism_sandbox.management.commands.seed_demo import Seeder
    from prism_sandbox.models import Record
    from prism_sandbox.teams import create_key, provision_team

    create_key(provision_team(TEAM), KEY)
    records = Record.objects.filter(team_id=TEAM)
    have = records.filter(segment="contact").count()
    if have >= size:
        return f"kept, {have:,} contacts"
    # Another random stream per step: the same seed would draw the same record ids again.
    seeder = Seeder(uuid.UUID(TEAM), 7 + have, timezone.now())
    if not records.filter(segment="organization").exists():
        seeder.insert("organization", 5000, lambda *a: None)
        seeder.insert("identity", 500, lambda *a: None)
    else:
        seeder.ids["organization"] = [str(i) for i in records.filter(segment="organization").values_list("id", flat=True)]
    seeder.insert("contact", size - have, lambda *a: None)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return f"seeded {size - have:,} contacts (had {have:,})"


def serve(db: Database, port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks"],
        cwd=ROOT,
        env=db.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def timed(session, url: str, body: dict) -> float:
    t0 = time.perf_counter()
    response = session.post(url, json=body)
    elapsed = (time.perf_counter() - t0) * 1000
    response.raise_for_status()
    return elapsed


def p50_p95(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.95) - 1)]


def cursor_for_page(session, url: str, page: int) -> dict:
    body = {"query": {"select": SELECT, "limit": 25}}
    for _ in range(page - 1):
        data = session.post(url, json=body).json()
        body = {"query": {"select": SELECT, "cursor": data["next_cursor"]}}
    return body


def measure_size(dbs: list[Database], n: int) -> dict[str, dict[str, tuple[float, float]]]:
    """results[case][engine] = (p50, p95) ms at this size, engines interleaved."""
    import requests

    servers = [serve(db, FIRST_PORT + i) for i, db in enumerate(dbs)]
    try:
        sessions, urls = {}, {}
        for i, db in enumerate(dbs):
            base = f"http://127.0.0.1:{FIRST_PORT + i}"
            harness.wait_until_up(f"{base}/sandbox/", seconds=60)
            sessions[db.engine] = requests.Session()
            sessions[db.engine].headers["x-api-key"] = KEY
            urls[db.engine] = f"{base}/sandbox/v2/prism/{TEAM}/contact/query"
        results: dict[str, dict[str, tuple[float, float]]] = {}
        for case, (body, _) in CASES.items():
            bodies = {e: body or cursor_for_page(sessions[e], urls[e], 100) for e in sessions}
            times: dict[str, list[float]] = {e: [] for e in sessions}
            for round_ in range(5 + n):  # 5 warm-up rounds
                for engine in sessions:
                    elapsed = timed(sessions[engine], urls[engine], bodies[engine])
                    if round_ >= 5:
                        times[engine].append(elapsed)
            results[case] = {e: p50_p95(t) for e, t in times.items()}
        return results
    finally:
        for server in servers:
            server.terminate()
            server.wait()


def remove_kept(engines: list[str], sizes: list[int], server_url: str | None) -> None:
    if "sqlite" in engines:
        for size in sizes:
            harness.remove_db(sqlite_path(size))
    if server_url:
        import psycopg

        with psycopg.connect(server_url, autocommit=True) as conn:
            for size in sorted(sizes, reverse=True):
                conn.execute(f"DROP DATABASE IF EXISTS {pg_name(size)}")


def report(sizes: list[int], engines: list[str], by_size: dict[int, dict], n: int) -> None:
    print()
    print(f"POST /contact/query at the API, p50 / p95 ms ({n} requests per case, size and engine, engines in turn)")
    head = f"{'case':<26}" + "".join(f"{f'{s:,} {e}':>22}" for s in sizes for e in engines)
    print(head)
    print("-" * len(head))
    for case in CASES:
        cells = "".join(f"{'{:.1f} / {:.1f}'.format(*by_size[s][case][e]):>22}" for s in sizes for e in engines)
        print(f"{case:<26}{cells}")
    big, small = max(sizes), min(sizes)
    print()
    print(f"Budget at {big:,}: indexed cases ≤ {BUDGET_MS} ms p50 at the API")
    for case, (_, indexed) in CASES.items():
        if indexed:
            cells = "   ".join(
                f"{e} {by_size[big][case][e][0]:6.1f} ms {'ok' if by_size[big][case][e][0] <= BUDGET_MS else 'OVER'}" for e in engines
            )
            print(f"  {case:<26} {cells}")
    for e in engines:
        ratio = by_size[big]["default order, page 1"][e][0] / by_size[small]["default order, page 1"][e][0]
        print(f"default order page 1, {e}, {big:,} / {small:,}: {ratio:.2f}×")
    print(f"load average (1, 5, 15 min) at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="sqlite,postgres", help="sqlite, postgres or both (default both)")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--requests", type=int, default=60, help="timed requests per case, size and engine (default 60)")
    parser.add_argument("--reseed", action="store_true", help="delete the kept databases of these sizes first")
    parser.add_argument("--seed-to", type=int, help=argparse.SUPPRESS)  # the seeding process (see prepare)
    args = parser.parse_args()
    if args.seed_to:
        print(seed_to(args.seed_to))
        return
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = set(engines) - set(ENGINES)
    if unknown or not engines:
        raise SystemExit(f"--engines takes sqlite and/or postgres, not {', '.join(sorted(unknown)) or 'nothing'}.")
    sizes = sorted(int(s) for s in args.sizes.split(","))
    DATA.mkdir(parents=True, exist_ok=True)

    with contextlib.ExitStack() as stack:
        server_url = None
        if "postgres" in engines:
            sys.path.insert(0, str(ROOT))
            from tests.services import postgres_server

            server_url = stack.enter_context(postgres_server(kept_in=DATA / "postgres"))
        if args.reseed:
            remove_kept(engines, sizes, server_url)
        dbs = {e: prepare(e, server_url or "", sizes) for e in engines}
        by_size = {}
        for i, size in enumerate(sizes):
            by_size[size] = measure_size([dbs[e][i] for e in engines], args.requests)
            print(f"measured at {size:,}", flush=True)
    report(sizes, engines, by_size, args.requests)


if __name__ == "__main__":
    main()
