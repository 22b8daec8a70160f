"""What prism_client costs on top of bare requests, next to the official SDK.

Runs N gets and N queries against one running Prism server (the sandbox or the
real API) through prism_client, a bare requests.Session and the micro_so SDK, and
prints total seconds, p50/p95 per call and the ratio to bare requests.

    .venv/bin/python manage.py runserver          # in one shell (sandbox at /sandbox)
    .venv/bin/python benchmarks/client_overhead.py --base-url http://127.0.0.1:8000/sandbox \\
        --team-id $MICRO_TEAM_ID --api-key $MICRO_API_KEY

Defaults come from MICRO_BASE_URL / MICRO_TEAM_ID / MICRO_API_KEY.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests

from prism_client import PrismClient, Query

QUERY_BODY = Query(select=("first_name", "email"), limit=25).to_wire()


def timed_interleaved(calls: dict[tuple[str, str], Callable[[], object]], n: int) -> dict[tuple[str, str], list[float]]:
    """Per-call wall times in seconds. The clients take turns call by call, so a change in
    machine load during the run falls on all of them alike."""
    for call in calls.values():  # warm-up: connections, caches
        for _ in range(min(20, n)):
            call()
    times: dict[tuple[str, str], list[float]] = {key: [] for key in calls}
    for _ in range(n):
        for key, call in calls.items():
            start = time.perf_counter()
            call()
            times[key].append(time.perf_counter() - start)
    return times


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", default=os.environ.get("MICRO_BASE_URL", "http://127.0.0.1:8000/sandbox"))
    parser.add_argument("--team-id", default=os.environ.get("MICRO_TEAM_ID"))
    parser.add_argument("--api-key", default=os.environ.get("MICRO_API_KEY"))
    parser.add_argument("-n", type=int, default=1000, help="calls per operation and client (default 1000)")
    args = parser.parse_args()
    if not (args.team_id and args.api_key):
        parser.error("--team-id and --api-key (or MICRO_TEAM_ID / MICRO_API_KEY) are required")

    prism = PrismClient(args.base_url, args.api_key, args.team_id)
    record = prism.contacts.create({"first_name": "Bench", "email": "bench@example.com"})
    prefix = f"{args.base_url.rstrip('/')}/v2/prism/{args.team_id}/contact"

    session = requests.Session()
    session.headers.update({"x-api-key": args.api_key, "Accept": "application/json"})

    def bare_get() -> object:
        response = session.get(f"{prefix}/{record.id}", timeout=30)
        response.raise_for_status()
        return response.json()

    def bare_query() -> object:
        response = session.post(f"{prefix}/query", json=QUERY_BODY, timeout=30)
        response.raise_for_status()
        return response.json()

    clients: dict[str, dict[str, Callable[[], object]]] = {
        "requests (bare)": {"get": bare_get, "query": bare_query},
        "prism_client": {
            "get": lambda: prism.contacts.get(record.id),
            "query": lambda: prism.contacts.query(Query(select=("first_name", "email"), limit=25)),
        },
    }
    try:
        from micro_so import Micro

        sdk = Micro(api_key=args.api_key, base_url=args.base_url, team_id=args.team_id)
        contacts = sdk.prism.objects.contacts
        clients["micro_so SDK"] = {
            "get": lambda: contacts.get(record.id),
            "query": lambda: contacts.query(query={"select": ["first_name", "email"], "limit": 25}),
        }
    except ImportError:
        print("micro_so is not installed: skipping the SDK column", file=sys.stderr)

    try:
        results = timed_interleaved({(name, op): call for name, ops in clients.items() for op, call in ops.items()}, args.n)
    finally:
        prism.contacts.delete(record.id)
        prism.close()
        session.close()

    print(f"{args.n} calls each against {args.base_url}\n")
    header = f"{'client':<18} {'op':<6} {'total s':>8} {'p50 ms':>8} {'p95 ms':>8} {'vs bare':>8}"
    print(header)
    print("-" * len(header))
    for op in ("get", "query"):
        bare = sum(results[("requests (bare)", op)])
        for name in clients:
            times = results[(name, op)]
            total = sum(times)
            print(
                f"{name:<18} {op:<6} {total:>8.2f} {statistics.median(times) * 1000:>8.2f} "
                f"{percentile(times, 95) * 1000:>8.2f} {total / bare:>7.2f}x"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
