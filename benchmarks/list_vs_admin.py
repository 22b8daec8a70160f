"""The dashboard's list page against Django admin's changelist, over the same contacts.

    .venv/bin/python benchmarks/list_vs_admin.py [--sizes 10000,100000,1000000] [--requests 40]

Seeds a throwaway SQLite database (benchmarks/.data/) in steps, keeping a copy at
each size, and serves each copy with its own `manage.py runserver` under
benchmarks/admin_settings.py: the dashboard as it ships (its list page calls the
sandbox's query endpoint on the same server, over HTTP, through prism_client) and,
beside it, a Django admin over the sandbox's own Record model at /bench-admin/
(benchmarks/admin_urls.py). Everything is timed through HTTP as one logged-in
superuser with keep-alive sessions, and requests are interleaved (dashboard, admin,
at every size, in turn) so that other load on the machine falls on all alike.

Cases (the same 25 contacts on both sides, checked by id except for the sort):
  page 1        the newest 25 contacts.
  last page     the admin's ?p=<last>. The dashboard pages by cursor and has no page
                numbers: its equivalent is the same table sorted the other way
                (sort=created_at, oldest first), which shows the same 25 records.
  filtered      status = churned (a select property; about 10% of contacts). The
                admin filters with the expression the sandbox indexes; a second admin
                row shows the stock JSONField key lookup (properties__status), which
                no index serves.
  sorted        by score, highest first (score shown as a fifth column on both sides).

Prints p50 / p95 in ms and dashboard/admin ratios of p50 with the goals (≤ 0.5×
page 1, ≤ 0.15× last page, ≤ 0.05× filtered) at the largest size, the scale curve
(goal: the dashboard's page 1 at the largest size ≤ 1.3× the smallest), and the
page weight: full page and htmx partial in bytes, and the gzipped JS + CSS a first
load fetches (goal ≤ 40 KB).
"""

import argparse
import gzip
import math
import os
import re
import secrets
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import harness  # benchmarks/ is on sys.path when a script runs

ROOT, DATA = harness.ROOT, harness.DATA
DB = DATA / "list_vs_admin.sqlite3"
TEAM = "b0000000-0000-4000-8000-000000000002"
KEY = f"sk_bench_{secrets.token_urlsafe(16)}"
COLS = "first_name,last_name,email,status"
ADMIN = "/bench-admin/prism_sandbox/record/"
DASHBOARD = "/records/contact/"
SCALE_GOAL = 1.3
WEIGHT_GOAL_KB = 40
ID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@dataclass(frozen=True)
class Case:
    name: str
    goal: float | None  # dashboard / admin p50 at the largest size
    same_rows: bool  # both sides must show the same 25 records


CASES = [
    Case("page 1", 0.5, True),
    Case("last page", 0.15, True),
    Case("filtered (status = churned)", 0.05, True),
    Case("sorted by score (desc)", None, False),
]
# The sides timed per case: the dashboard, the admin, and for the filter the admin's
# stock JSON key lookup too.
DASH, ADM, ADM_KEY = "dashboard", "admin", "admin, JSON key lookup"


def urls(case: Case, contacts: int) -> dict[str, str]:
    def dash(**extra: str) -> str:
        return f"{DASHBOARD}?{urlencode({'cols': COLS, **extra})}"

    match case.name:
        case "page 1":
            return {DASH: dash(), ADM: ADMIN}
        case "last page":
            return {DASH: dash(sort="created_at"), ADM: f"{ADMIN}?p={math.ceil(contacts / 25)}"}
        case "filtered (status = churned)":
            return {
                DASH: dash(f0="status", o0="=", v0="churned"),
                ADM: f"{ADMIN}?status=churned",
                ADM_KEY: f"{ADMIN}?status_key=churned",
            }
        case "sorted by score (desc)":
            # o=-5: list_display is [action checkbox, first, last, email, status, score], "-" descending.
            return {DASH: dash(cols=f"{COLS},score", sort="-score"), ADM: f"{ADMIN}?o=-5"}
    raise ValueError(case.name)


def django_env(port: int, db: Path = DB) -> dict[str, str]:
    return harness.django_env(db, TEAM, KEY, settings="benchmarks.admin_settings", base_url=f"http://127.0.0.1:{port}/sandbox")


def snapshot_path(size: int) -> Path:
    return DATA / f"list_vs_admin-{size}.sqlite3"


remove_db = harness.remove_db


seed_to = harness.seed_to


def snapshot(size: int) -> Path:
    """A page-by-page copy of the database as it is now (sessions and keys included)."""
    from django.db import connection

    path = snapshot_path(size)
    remove_db(path)
    connection.ensure_connection()
    target = sqlite3.connect(path)
    try:
        connection.connection.backup(target)
    finally:
        target.close()
    return path


def login_cookie() -> str:
    """A session for a new superuser, made the way django.contrib.auth.login makes one."""
    from django.contrib.auth import get_user_model

    from dashboard.models import PrismKey

    user = get_user_model().objects.create_superuser("bench", "bench@example.com", secrets.token_urlsafe(16))
    PrismKey.store(user, os.environ["MICRO_API_KEY"])  # the dashboard acts with the person's own key
    return harness.session_key(user)


def start_server(port: int, db: Path) -> subprocess.Popen:
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise SystemExit(f"Port {port} is in use (another server?); choose others with --port.")
    return subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks"],
        cwd=ROOT,
        env=django_env(port, db),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for(session, base: str) -> None:
    import requests

    for _ in range(300):
        try:
            session.get(f"{base}/sandbox/", timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise SystemExit(f"No server at {base}.")


def row_ids(html: str, prefix: str) -> list[str]:
    return re.findall(rf'href="{re.escape(prefix)}({ID_RE})/', html)


def check_same_rows(session, base: str, case: Case, side_urls: dict[str, str], size: int) -> None:
    dash = row_ids(session.get(base + side_urls[DASH]).text, DASHBOARD)
    for side, url in side_urls.items():
        rows = row_ids(session.get(base + url).text, DASHBOARD if side == DASH else ADMIN)
        if len(rows) != 25 or (case.same_rows and sorted(rows) != sorted(dash)):
            raise SystemExit(f"{case.name} at {size:,}: {side} shows other rows than the dashboard ({len(rows)}).")


def timed_get(session, url: str) -> float:
    t0 = time.perf_counter()
    response = session.get(url)
    elapsed = (time.perf_counter() - t0) * 1000
    response.raise_for_status()
    return elapsed


def p50_p95(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[max(0, math.ceil(len(ordered) * 0.95) - 1)]


def static_refs(html: str) -> list[str]:
    """The stylesheets and scripts a page loads (href/src under /static/)."""
    links = re.findall(r'<link[^>]+rel="stylesheet"[^>]*href="([^"]+)"', html)
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', html)
    return [u for u in links + scripts if u.startswith("/static/")]


def page_weight(session, base: str, page_url: str) -> dict:
    """Bytes of the page and of its htmx partial (raw, gzip), and of each CSS/JS file it loads."""
    full = session.get(base + page_url).content
    partial = session.get(base + page_url, headers={"HX-Request": "true"}).content
    assets = {}
    for ref in static_refs(full.decode()):
        body = session.get(base + ref).content
        assets[ref] = (len(body), len(gzip.compress(body, compresslevel=9)))
    return {
        "full": (len(full), len(gzip.compress(full, 9))),
        "partial": (len(partial), len(gzip.compress(partial, 9))),
        "assets": assets,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--requests", type=int, default=40, help="timed requests per case, side and size (default 40)")
    parser.add_argument("--port", type=int, default=8791, help="first of one port per size (default 8791)")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))

    DATA.mkdir(parents=True, exist_ok=True)
    remove_db(DB)
    env = django_env(args.port)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()

    import requests
    from django.utils import timezone

    from prism_sandbox.management.commands.seed_demo import Seeder
    from prism_sandbox.teams import create_key, provision_team

    create_key(provision_team(TEAM), KEY)
    seeder = Seeder(uuid.UUID(TEAM), 7, timezone.now())
    seeder.insert("organization", 5000, lambda *a: None)
    seeder.insert("identity", 500, lambda *a: None)
    session_key = login_cookie()

    # One database per size: the largest is the seeded one, the others copies on the way.
    dbs: dict[int, Path] = {}
    have = 0
    for size in sizes:
        t0 = time.perf_counter()
        have = seed_to(size, seeder, have)
        dbs[size] = DB if size == sizes[-1] else snapshot(size)
        print(f"seeded {size:,} contacts in {time.perf_counter() - t0:.1f}s", flush=True)

    bases = {size: f"http://127.0.0.1:{args.port + i}" for i, size in enumerate(sizes)}
    servers = [start_server(args.port + i, dbs[size]) for i, size in enumerate(sizes)]
    # results[case name][side][size] = timings in ms
    results: dict[str, dict[str, dict[int, list[float]]]] = {}
    try:
        session = requests.Session()
        session.cookies.set("sessionid", session_key, domain="127.0.0.1", path="/")
        for base in bases.values():
            wait_for(session, base)
        for case in CASES:
            plan = {size: urls(case, size) for size in sizes}
            for size in sizes:
                check_same_rows(session, bases[size], case, plan[size], size)
            results[case.name] = {side: {size: [] for size in sizes} for side in plan[sizes[0]]}
            for round_ in range(3 + args.requests):  # 3 warm-up rounds
                for size in sizes:
                    for side, url in plan[size].items():
                        elapsed = timed_get(session, bases[size] + url)
                        if round_ >= 3:
                            results[case.name][side][size].append(elapsed)
            line = "   ".join(f"{side} {p50_p95(results[case.name][side][sizes[-1]])[0]:.1f} ms" for side in plan[sizes[-1]])
            print(f"  {case.name:<28} at {sizes[-1]:,}: {line}", flush=True)
        page1 = urls(CASES[0], sizes[-1])
        weights = {side: page_weight(session, bases[sizes[-1]], page1[side]) for side in (DASH, ADM)}
    finally:
        for server in servers:
            server.terminate()
            server.wait()
        for path in dbs.values():
            if path != DB:
                remove_db(path)

    report(sizes, results, weights, args.requests)


def report(sizes: list[int], results: dict, weights: dict, n: int) -> None:
    big, small = sizes[-1], sizes[0]
    print()
    print(f"List page vs Django admin at {big:,} contacts (ms; {n} requests per side, interleaved)")
    head = f"{'case':<30}{'side':<24}{'p50 / p95':>18}{'dash/admin':>12}{'goal':>8}  met"
    print(head)
    print("-" * len(head))
    for case in CASES:
        sides = results[case.name]
        d50 = p50_p95(sides[DASH][big])[0]
        for i, (side, by_size) in enumerate(sides.items()):
            p50, p95 = p50_p95(by_size[big])
            ratio = goal = met = ""
            if side != DASH:
                ratio = f"{d50 / p50:.3f}×"
                if case.goal is not None:
                    goal = f"≤{case.goal:g}×"
                    met = "yes" if d50 / p50 <= case.goal else "NO"
            print(f"{case.name if i == 0 else '':<30}{side:<24}{f'{p50:.1f} / {p95:.1f}':>18}{ratio:>12}{goal:>8}  {met}")

    print()
    print("Scale: p50 / p95 ms by number of contacts")
    head = f"{'case':<30}{'side':<24}" + "".join(f"{f'{s:,}':>18}" for s in sizes) + f"{'largest/smallest':>18}"
    print(head)
    print("-" * len(head))
    for case in CASES:
        for i, (side, by_size) in enumerate(results[case.name].items()):
            cells = [p50_p95(by_size[s]) for s in sizes]
            row = f"{case.name if i == 0 else '':<30}{side:<24}" + "".join(f"{f'{c[0]:.1f} / {c[1]:.1f}':>18}" for c in cells)
            print(row + f"{f'{cells[-1][0] / cells[0][0]:.2f}×':>18}")
    growth = p50_p95(results["page 1"][DASH][big])[0] / p50_p95(results["page 1"][DASH][small])[0]
    verdict = "yes" if growth <= SCALE_GOAL else "NO"
    print(f"Goal: the dashboard's page 1 at {big:,} ≤ {SCALE_GOAL}× at {small:,}: {growth:.2f}× {verdict}")

    print()
    print(f"Page weight (page 1 at {big:,} contacts)")
    head = f"{'':<36}{'dashboard':>18}{'admin':>18}"
    print(head)
    print("-" * len(head))
    d, a = weights[DASH], weights[ADM]

    def size_pair(pair: tuple[int, int]) -> str:
        return f"{pair[0]:,} ({pair[1]:,})"

    print(f"{'full page HTML, bytes (gzip)':<36}{size_pair(d['full']):>18}{size_pair(a['full']):>18}")
    print(f"{'htmx table partial, bytes (gzip)':<36}{size_pair(d['partial']):>18}{'—':>18}")
    dash_kb = sum(g for _, g in d["assets"].values()) / 1024
    admin_kb = sum(g for _, g in a["assets"].values()) / 1024
    dash_assets = f"{dash_kb:.1f} ({len(d['assets'])} files)"
    admin_assets = f"{admin_kb:.1f} ({len(a['assets'])} files)"
    print(f"{'first-load JS + CSS, KB gzip':<36}{dash_assets:>18}{admin_assets:>18}")
    for ref, (raw, gz) in d["assets"].items():
        print(f"  {ref.rsplit('/', 1)[-1]:<44}{raw:>10,} B  gzip {gz:>7,} B")
    verdict = "yes" if dash_kb <= WEIGHT_GOAL_KB else "NO"
    print(f"Goal: the dashboard's first-load JS + CSS ≤ {WEIGHT_GOAL_KB} KB gzipped: {dash_kb:.1f} KB {verdict}")


if __name__ == "__main__":
    main()
