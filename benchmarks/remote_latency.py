"""Pages with the API 100 ms away: the time of each page and its sequential round trips.

    .venv/bin/python benchmarks/remote_latency.py [--latency-ms 100] [--contacts 10000] [--loads 5] [--show]

A real API is across the internet; the sandbox on this machine answers in milliseconds.
Here the sandbox adds `--latency-ms` to every API request (its chaos latency), so a page
that asks the API twice in turn takes two latencies, and one that asks everything at
once takes one.

- The sandbox runs in this process (a threaded WSGI server in a thread), so its request
  log (prism_sandbox.chaos.request_log: when each API request arrived and ended) is read
  here: the round trips printed are measured, not assumed. A page's round trips are the
  most of its API requests that can be lined up one after another without overlapping
  (chaos.sequential_rounds): calls sent together count once.
- The dashboard runs as in production: gunicorn (dashboard/gunicorn_conf.py, 1 worker ×
  4 threads, one person), DEBUG off, over a throwaway SQLite database (benchmarks/.data/)
  seeded with `--contacts` contacts (and the demo's other records), calling the sandbox
  over HTTP with the team key (PRISM_ACCESS=shared).

Each page is loaded once to warm the caches (the schema), then `--loads` times; printed:
the median time, the API calls of one load, its sequential round trips, how long the API
was busy with them (first arrival to last answer: the latency and the sandbox's own work;
the rest of the time is the dashboard's), and the goal
(one round trip + 50 ms; an export of 10,000 rows within 4 s). A page whose route does not
exist in this checkout is skipped with a note: PAGES is the list to extend.
"""

import argparse
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import harness  # benchmarks/ is on sys.path when a script runs

ROOT, DATA = harness.ROOT, harness.DATA
DB = DATA / "remote_latency.sqlite3"
TEAM = "b0000000-0000-4000-8000-00000000101a"
KEY = f"sk_bench_{secrets.token_urlsafe(16)}"
EXPORT_GOAL_S = 4.0
PAGE_SLACK_S = 0.05  # the goal: one round trip and 50 ms


@dataclass(frozen=True)
class Page:
    label: str
    url_name: str
    args: tuple = ()  # "{contact}", "{deal}": a record of that type, found once seeded
    query: str = ""
    export: bool = False


PAGES = (
    Page("home", "home"),
    *(Page(f"table: {t}", "record-list", (t,)) for t in ("contact", "organization", "identity", "deal", "action", "document", "event")),
    Page("filtered table (status is lead, by score)", "record-list", ("contact",), "f0=status&o0=%3D&v0=lead&sort=-score"),
    Page("record page (contact)", "record-detail", ("contact", "{contact}")),
    Page("record page (deal, with its grant)", "record-detail", ("deal", "{deal}")),
    Page("editor (contact)", "record-edit", ("contact", "{contact}")),
    Page("permissions (deal)", "record-permissions", ("deal", "{deal}")),
    Page("history (contact)", "record-history", ("contact", "{contact}")),
    Page("table: contacts, quick search", "record-list", ("contact",), "q=ann"),
    Page("table: contacts, search beside a filter", "record-list", ("contact",), "q=ann&f0=status&o0=%3D&v0=lead"),
    Page("board: deals by stage", "record-list", ("deal",), "layout=board&group=stage"),
    Page("related records (organization)", "record-related", ("organization", "{organization}")),
    Page("cell editor (contact score: the version read)", "cell-edit", ("contact", "{contact}", "score")),
    Page("global search", "global-search", (), "q=ann"),
    Page("export: every contact (CSV)", "record-export", ("contact",), "cols=first_name,last_name,email,status,score", export=True),
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_sandbox(port: int) -> None:
    """The sandbox (with the dashboard's URLs, unused) in a thread of this process."""
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler, get_internal_wsgi_application

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = ThreadedWSGIServer(("127.0.0.1", port), Quiet, allow_reuse_address=True)
    server.set_app(get_internal_wsgi_application())
    threading.Thread(target=server.serve_forever, daemon=True).start()


def session_for_admin() -> str:
    """A signed-in Admin's session key, made in the database the dashboard reads."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from dashboard.roles import Role, sync_groups

    sync_groups()
    user = get_user_model().objects.create_user("bench-admin", "bench-admin@example.com")
    user.groups.set([Group.objects.get(name=Role.ADMIN.value)])
    return harness.session_key(user)


def some_record(segment: str) -> str:
    from prism_sandbox.models import Record

    return str(Record.objects.filter(team_id=TEAM, segment=segment, deleted_at__isnull=True).values_list("id", flat=True).first())


def url_of(page: Page, records: dict[str, str]) -> str | None:
    from django.urls import NoReverseMatch, reverse

    args = [a.format(**records) for a in page.args]
    try:
        path = reverse(page.url_name, args=args)
    except NoReverseMatch:
        return None
    return f"{path}?{page.query}" if page.query else path


def timeline(calls, since: float) -> str:
    """Each API call of a load: when it arrived and ended, in ms from the page's request."""
    return "; ".join(
        f"{c.method} {c.path.split('/', 5)[-1]} {1000 * (c.started - since):.0f}–{1000 * (c.ended - since):.0f}" for c in calls
    )


def load(session, base: str, url: str, export: bool, show: bool = False) -> tuple[float, int, int, int, float]:
    """(seconds, status, API calls, sequential round trips, seconds the API was busy) of one
    load; the last is the span from the first call's arrival to the last one's end, so the
    page's own time is what is left."""
    from prism_sandbox import chaos

    chaos.clear_request_log()
    started, since = time.perf_counter(), time.monotonic()
    with session.get(base + url, stream=export, timeout=120) as response:
        rows = sum(1 for _ in response.iter_lines()) - 1 if export else 0
        took = time.perf_counter() - started
    calls = chaos.request_log()
    if export and rows < 1:
        raise SystemExit(f"the export wrote no rows: {response.status_code}")
    rounds = chaos.sequential_rounds(calls)
    if show and rounds > 1 and not export:
        print(f"    {url}: {timeline(calls, since)}", flush=True)
    busy = max(c.ended for c in calls) - min(c.started for c in calls) if calls else 0.0
    return took, response.status_code, len(calls), rounds, busy


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--show", action="store_true", help="print the calls of every load of a page that took more than one round")
    args = parser.parse_args()

    sandbox_port, dashboard_port = free_port(), free_port()
    env = harness.django_env(DB, TEAM, KEY, base_url=f"http://127.0.0.1:{sandbox_port}/sandbox") | {
        "PRISM_ACCESS": "shared",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "STATIC_ROOT": str(DATA / "static"),
    }
    t0 = time.perf_counter()
    harness.fresh_database(DB, env)
    for command in (["collectstatic", "--no-input", "-v0"], ["seed_demo", "--team", TEAM, "--size", str(args.contacts)]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    print(f"seeded {args.contacts:,} contacts in {time.perf_counter() - t0:.0f} s", flush=True)

    import requests

    from prism_sandbox import chaos

    serve_sandbox(sandbox_port)
    dash_env = env | {"PRISM_SANDBOX_MOUNTED": "false"}
    log = (DATA / "remote_latency-gunicorn.log").open("w")
    command = [sys.executable, "-m", "gunicorn", "-c", "python:dashboard.gunicorn_conf", "dashboard.wsgi"]
    command += ["--bind", f"127.0.0.1:{dashboard_port}", "--workers", "1", "--threads", "4"]
    dashboard = subprocess.Popen(command, cwd=ROOT, env=dash_env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{dashboard_port}"
    try:
        harness.wait_until_up(f"{base}/accounts/login/")
        records = {t: some_record(t) for t in ("contact", "deal", "organization")}
        session = requests.Session()
        session.cookies.set("sessionid", session_for_admin(), domain="127.0.0.1")
        chaos.configure(latency_ms=args.latency_ms)
        latency = args.latency_ms / 1000
        print(f"\nAPI latency {args.latency_ms} ms; {args.contacts:,} contacts; median of {args.loads} loads (after one to warm up)\n")
        print("| page | time | API calls | sequential round trips | API busy | goal |\n|---|---:|---:|---:|---:|---|")
        skipped = []
        for page in PAGES:
            url = url_of(page, records)
            if url is None:
                skipped.append(page)
                continue
            load(session, base, url, page.export)  # warm: the schema cache, templates
            runs = [load(session, base, url, page.export, args.show) for _ in range(args.loads)]
            statuses = {r[1] for r in runs}
            if statuses != {200}:
                raise SystemExit(f"{page.label}: {url} answered {statuses}")
            took = statistics.median(r[0] for r in runs)
            calls, rounds, busy = max(r[2] for r in runs), max(r[3] for r in runs), statistics.median(r[4] for r in runs)
            goal = EXPORT_GOAL_S if page.export else latency + PAGE_SLACK_S
            met = "met" if took <= goal else "**missed**"
            print(
                f"| {page.label} | {took * 1000:,.0f} ms | {calls} | {rounds} | {busy * 1000:,.0f} ms | ≤ {goal * 1000:,.0f} ms: {met} |",
                flush=True,
            )
        for page in skipped:
            print(f"\n(skipped: {page.label}: no route named {page.url_name!r} in this checkout)")
    finally:
        chaos.configure()
        dashboard.terminate()
        try:
            dashboard.wait(timeout=20)
        except subprocess.TimeoutExpired:
            dashboard.kill()
        log.close()


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
