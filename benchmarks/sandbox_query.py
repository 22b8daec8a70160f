"""Sandbox query latency at 10k, 100k and 1M contacts, measured at the API over HTTP.

    .venv/bin/python benchmarks/sandbox_query.py [--sizes 10000,100000,1000000] [--requests 60]

Seeds a throwaway SQLite database (benchmarks/.data/) in steps, serves it with
`manage.py runserver` and times each case with a keep-alive requests.Session. Prints
one table: p50 / p95 in ms per case and size, and the 1M budget check (≤ 20 ms p50
for the indexed cases).
"""

import argparse
import secrets
import statistics
import subprocess
import sys
import time
import uuid

import harness  # benchmarks/ is on sys.path when a script runs

ROOT, DATA = harness.ROOT, harness.DATA
DB = DATA / "sandbox_query.sqlite3"
TEAM = "b0000000-0000-4000-8000-000000000001"
KEY = f"sk_bench_{secrets.token_urlsafe(16)}"
PORT = 8799
SELECT = ["first_name", "last_name", "email", "status", "organization.name"]

CASES = {
    "default order, page 1": ({"query": {"select": SELECT, "limit": 25}}, True),
    "100th page via cursors": (None, True),
    "eq on a select": ({"query": {"select": SELECT, "filter": [{"status": {"=": "churned"}}], "limit": 25}}, True),
    "range on a number": ({"query": {"select": SELECT, "filter": [{"score": {">=": "90"}}], "limit": 25}}, True),
    "sort by a number": ({"query": {"select": SELECT, "sort": [{"score": "desc"}], "limit": 25}}, True),
    "contains on text": ({"query": {"select": SELECT, "filter": [{"first_name": {"contains": "an"}}], "limit": 25}}, False),
}


def django_env() -> dict[str, str]:
    return harness.django_env(DB, TEAM, KEY)


seed_to = harness.seed_to


def measure(session, url: str, body: dict, n: int) -> tuple[float, float]:
    for _ in range(5):
        session.post(url, json=body).raise_for_status()
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        response = session.post(url, json=body)
        times.append((time.perf_counter() - t0) * 1000)
        response.raise_for_status()
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def cursor_for_page(session, url: str, page: int) -> dict:
    body = {"query": {"select": SELECT, "limit": 25}}
    for _ in range(page - 1):
        data = session.post(url, json=body).json()
        body = {"query": {"select": SELECT, "cursor": data["next_cursor"]}}
    return body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    env = django_env()
    harness.fresh_database(DB, env)

    import requests
    from django.utils import timezone

    from prism_sandbox.management.commands.seed_demo import Seeder
    from prism_sandbox.teams import create_key, provision_team

    create_key(provision_team(TEAM), KEY)
    seeder = Seeder(uuid.UUID(TEAM), 7, timezone.now())
    seeder.insert("organization", 5000, lambda *a: None)
    seeder.insert("identity", 500, lambda *a: None)

    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{PORT}", "--noreload", "--skip-checks"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    results: dict[str, dict[int, tuple[float, float]]] = {case: {} for case in CASES}
    try:
        session = requests.Session()
        session.headers["x-api-key"] = KEY
        url = f"http://127.0.0.1:{PORT}/sandbox/v2/prism/{TEAM}/contact/query"
        for _ in range(100):
            try:
                session.get(f"http://127.0.0.1:{PORT}/sandbox/", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        have = 0
        for size in sizes:
            t0 = time.perf_counter()
            have = seed_to(size, seeder, have)
            print(f"seeded {size:,} contacts in {time.perf_counter() - t0:.1f}s", flush=True)
            for case, (body, _) in CASES.items():
                if body is None:
                    body = cursor_for_page(session, url, 100)
                results[case][size] = measure(session, url, body, args.requests)
    finally:
        server.terminate()
        server.wait()

    head = f"{'case (contacts)':<26}" + "".join(f"{f'{s:,} p50/p95 ms':>22}" for s in sizes)
    print()
    print(head)
    print("-" * len(head))
    for case, by_size in results.items():
        cells = "".join(f"{f'{by_size[s][0]:.1f} / {by_size[s][1]:.1f}':>22}" for s in sizes)
        print(f"{case:<26}{cells}")
    big = max(sizes)
    print()
    print(f"Budget at {big:,}: indexed cases ≤ 20 ms p50 at the API")
    for case, (_, indexed) in CASES.items():
        if indexed:
            p50 = results[case][big][0]
            print(f"  {case:<26} {p50:6.1f} ms  {'ok' if p50 <= 20 else 'OVER'}")
    ratio = results["default order, page 1"][big][0] / results["default order, page 1"][min(sizes)][0]
    print(f"default order page 1, {big:,} / {min(sizes):,}: {ratio:.2f}x")


if __name__ == "__main__":
    main()
