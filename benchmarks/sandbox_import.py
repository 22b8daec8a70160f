"""Sandbox import throughput: one async import of N rows vs N single creates, through
the official micro-so SDK over HTTP.

    .venv/bin/python benchmarks/sandbox_import.py [--rows 10000] [--profile]

Migrates a throwaway SQLite database (benchmarks/.data/), provisions a team and its
key, and starts `manage.py runserver --noreload` and `manage.py db_worker --no-reload`
with the same environment. Then, in one run:

- import: `contacts.bulk_create(objects=rows)` (202, a background job), polled with
  `imports.get(job_id)` until complete;
- single: the same number of rows, one `contacts.create(default=row)` each.

Rows are contacts with text, email, number, select, multiselect and a reference to
one of 100 organizations (so reference checks are part of the work). Prints rows/s
both ways and their ratio. `--profile` runs the import's task in this process under
cProfile instead of the worker, and prints the top functions.
"""

import argparse
import secrets
import subprocess
import sys
import time

import harness  # benchmarks/ is on sys.path when a script runs

ROOT, DATA = harness.ROOT, harness.DATA
DB = DATA / "sandbox_import.sqlite3"
TEAM = "b0000000-0000-4000-8000-000000000002"
KEY = f"sk_bench_{secrets.token_urlsafe(16)}"
PORT = 8797
BASE_URL = f"http://127.0.0.1:{PORT}/sandbox"
STATUSES = ("lead", "customer", "churned")
TAGS = ("vip", "partner", "newsletter")


def django_env() -> dict[str, str]:
    return harness.django_env(DB, TEAM, KEY)


def contact_rows(n: int, prefix: str, org_ids: list[str]) -> list[dict]:
    return [
        {
            "default": {
                "first_name": f"{prefix}{i}",
                "last_name": f"Bench{i % 97}",
                "email": f"{prefix.lower()}{i}@bench.test",
                "score": i % 100,
                "status": STATUSES[i % 3],
                "tags": [TAGS[i % 3]],
                "organization": org_ids[i % len(org_ids)],
            }
        }
        for i in range(n)
    ]


def wait_for_server() -> None:
    harness.wait_until_up(f"{BASE_URL}/")


def timed_import(client, rows: list[dict]) -> tuple[float, object]:
    t0 = time.perf_counter()
    raw = client.prism.objects.contacts.with_raw_response.bulk_create(objects=rows)
    started = raw.parse()
    assert raw.status_code == 202, raw.status_code
    job = started
    while job.status == "processing":
        time.sleep(0.05)
        job = client.prism.imports.get(started.job_id)
    elapsed = time.perf_counter() - t0
    assert job.status == "complete" and job.succeeded == len(rows), (job.status, job.succeeded, job.error)
    assert len(job.results) == len(rows)
    return elapsed, job


def timed_single_creates(client, rows: list[dict]) -> float:
    contacts = client.prism.objects.contacts
    t0 = time.perf_counter()
    for row in rows:
        contacts.create(default=row["default"])
    return time.perf_counter() - t0


def profile_import(rows: list[dict]) -> None:
    """Run the import task here, under cProfile (no worker, no HTTP)."""
    import cProfile
    import pstats
    import uuid

    from django.utils import timezone

    from prism_sandbox import imports
    from prism_sandbox.models import ApiKey, hash_key
    from prism_sandbox.schemas import team_schemas

    key = ApiKey.objects.get(key_hash=hash_key(KEY))
    options = imports.parse_import(team_schemas(uuid.UUID(TEAM))["contact"], {"objects": rows})[1]
    job = imports.ImportJob.objects.create(
        team_id=uuid.UUID(TEAM),
        api_key=key,
        segment="contact",
        total=len(rows),
        objects_json=rows,
        options=options,
        expires_at=timezone.now() + imports.JOB_TTL,
    )
    profiler = cProfile.Profile()
    t0 = time.perf_counter()
    profiler.runcall(imports.run_import.call, str(job.id))
    elapsed = time.perf_counter() - t0
    job.refresh_from_db()
    print(f"profiled import: {job.succeeded:,}/{job.total:,} rows in {elapsed:.2f}s ({len(rows) / elapsed:,.0f} rows/s)")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--profile", action="store_true", help="profile the import task in-process, then stop")
    parser.add_argument("--import-only", action="store_true", help="skip the single creates")
    args = parser.parse_args()

    env = django_env()
    harness.fresh_database(DB, env)

    from micro_so import Micro

    from prism_sandbox.models import Record
    from prism_sandbox.teams import create_key, provision_team

    create_key(provision_team(TEAM, "Benchmark team"), KEY)
    orgs = [Record(team_id=TEAM, segment="organization", properties={"name": f"Org {i}"}) for i in range(100)]
    org_ids = [str(o.id) for o in Record.objects.bulk_create(orgs)]

    if args.profile:
        profile_import(contact_rows(args.rows, "Prof", org_ids))
        return

    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{PORT}", "--noreload", "--skip-checks"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-reload", "--interval", "0.05", "--no-startup-delay"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_server()
        client = Micro(api_key=KEY, base_url=BASE_URL, team_id=TEAM, max_retries=0, timeout=120)
        client.prism.objects.contacts.count()  # warm up: auth, schema, connections

        import_s, _ = timed_import(client, contact_rows(args.rows, "Imported", org_ids))
        print(f"import: {args.rows:,} rows in {import_s:.2f}s", flush=True)
        if args.import_only:
            return
        single_s = timed_single_creates(client, contact_rows(args.rows, "Single", org_ids))
        print(f"single creates: {args.rows:,} rows in {single_s:.2f}s", flush=True)
        assert client.prism.objects.contacts.count().total == 2 * args.rows
    finally:
        for process in (worker, server):
            process.terminate()
        for process in (worker, server):
            process.wait()

    import_rate, single_rate = args.rows / import_s, args.rows / single_s
    print()
    print(f"{'way (' + format(args.rows, ',') + ' contacts)':<32}{'seconds':>10}{'rows/s':>12}")
    print("-" * 54)
    print(f"{'async import (bulk_create+poll)':<32}{import_s:>10.2f}{import_rate:>12,.0f}")
    print(f"{'single creates (create)':<32}{single_s:>10.2f}{single_rate:>12,.0f}")
    print(f"import / single: {import_rate / single_rate:.1f}x")


if __name__ == "__main__":
    main()
