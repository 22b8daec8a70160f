"""Many people at once: the dashboard beside Django admin's changelist, under the same load (locust).

    .venv/bin/pip install -e '.[bench]'      # locust
    .venv/bin/python benchmarks/load.py [--users 10,50,100] [--seconds 40] [--contacts 5000]

What runs, all on 127.0.0.1 and all stopped at the end:
  - PostgreSQL and Redis, throwaway (tests/services.py): the database and the cache;
  - the sandbox, the Prism API the dashboard calls, as a gunicorn of its own
    (prism_sandbox/server/, 2 workers × 8 threads), as scripts/serve-demo serves it;
  - the dashboard: gunicorn as scripts/serve starts it (dashboard/gunicorn_conf.py,
    gthread, --workers × --threads, 2 × 4 by default), MICRO_BASE_URL pointing at the
    sandbox's server, the sandbox not mounted in it, per-person keys;
  - the Django admin over the sandbox's own Record model (benchmarks/admin_urls.py,
    the changelist list_vs_admin.py times: the same four columns, 25 a page, the
    status filter through the sandbox's expression index), served by the same gunicorn
    command with the same workers and threads, over the same database.
One demo team (manage.py seed_demo: --contacts contacts, and organizations, deals… in
proportion) and, for each side, as many people as the largest --users, each signed in
with a session of their own (made directly: signing in, PBKDF2, is not what is measured).
On the dashboard they are Editors, each with a Prism member key of their own; on the
admin, superusers.

Before the load, every kind of page is fetched once on each side and checked (it shows
its table or form; a save saves), and ten more times for the single-person times and,
on the dashboard, the API calls each kind of page makes (the sandbox's access log).

Then, for each number of people in --users, each side in turn (the order alternates
from one level to the next), `locust --headless` runs benchmarks/load_users.py for
--seconds: the people spawn over the first 5 s, statistics start once all are there.
Each person browses, filters, opens and edits (3 : 2 : 3 : 1) with 0.5–1.5 s to think
between tasks (benchmarks/load_pages.py says what each task fetches on either side).

Prints, per number of people, side by side: pages/s, p50 and p95 (ms) per kind of
page, failures, conflicts, the CPU seconds each process used per page, and the load
average; then the goal: at 50 people the dashboard serves ≥ 2× the admin's pages/s at
a lower p95.
"""

import argparse
import contextlib
import csv
import json
import math
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import harness  # benchmarks/ is on sys.path when a script runs
import load_pages

ROOT, DATA = harness.ROOT, harness.DATA
RUN = DATA / "load"
TEAM = "10adbe00-0000-4000-8000-000000000005"
ADMIN_KEY = "sk_sandbox_load_benchmark_admin_key_0123456789"
FERNET_KEY = "3Uz7Qc1bZxQmCqQ3s6r0Ck8mS2Kq9bVtF0yYh7y2o5E="
TASKS = {"browse": 3, "filter": 2, "open": 3, "edit": 1}
THINK_SECONDS = (0.5, 1.5)
RAMP_SECONDS = 5
KINDS = ("browse", "filter", "open", "edit form", "save", "save (conflict)")
GOAL_USERS, GOAL_RATIO = 50, 2.0


def base_env(database_url: str, cache_url: str) -> dict[str, str]:
    """Production settings (DEBUG off) over plain HTTP on 127.0.0.1; no developer .env value leaks in."""
    skip = ("MICRO_", "PRISM_", "DJANGO_", "GUNICORN", "WEB_CONCURRENCY", "DATABASE_URL", "CACHE_URL")
    env = {k: v for k, v in os.environ.items() if not k.startswith(skip)}
    return env | {
        "DJANGO_SETTINGS_MODULE": "dashboard.settings",
        "DEBUG": "false",
        "SECRET_KEY": "load-benchmark-secret-key-not-for-production-0123456789",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "DATABASE_URL": database_url,
        "CACHE_URL": cache_url,
        "MICRO_TEAM_ID": TEAM,
        "MICRO_API_KEY": ADMIN_KEY,
        "PRISM_KEY_ENCRYPTION_KEYS": FERNET_KEY,
        # The sandbox app is installed (its tables, its seeding) but served by its own server.
        "PRISM_SANDBOX_ENABLED": "true",
        "PRISM_SANDBOX_MOUNTED": "false",
        "PRISM_SANDBOX_CHAOS": "{}",
        "PRISM_SANDBOX_RATE_LIMIT": "",
        "STATIC_ROOT": str(DATA / "static"),
        "PYTHONPATH": str(ROOT),
    }


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


# People for both sides, each with a session of their own, made the way
# django.contrib.auth.login makes one; dashboard people are Editors with a member key each.
PROVISION = """
import json, sys, uuid
import django
django.setup()
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from dashboard.models import PrismKey
from dashboard.roles import Role
from prism_sandbox.models import ApiKey, Record
from prism_sandbox.teams import create_key, provision_team

people, team_id = int(sys.argv[1]), sys.argv[2]
team = provision_team(team_id)
editors = Group.objects.get(name=Role.EDITOR.value)
User = get_user_model()

sys.path.insert(0, "benchmarks")  # run from the project's root
from harness import session_key as session_for

sessions = {"dashboard": [], "admin": []}
for n in range(people):
    person = User.objects.create_user(f"editor{n:03}", f"editor{n:03}@example.com")
    person.set_unusable_password()
    person.save()
    person.groups.set([editors])
    key = f"sk_sandbox_load_editor_{n:03}_{uuid.uuid4().hex}"
    create_key(team, key, role=ApiKey.Role.MEMBER, user_id=uuid.uuid4(), label=f"load {n}")
    PrismKey.store(person, key)
    sessions["dashboard"].append(session_for(person))
    admin = User.objects.create_superuser(f"admin{n:03}", f"admin{n:03}@example.com", None)
    sessions["admin"].append(session_for(admin))
# The contacts people open and edit: 5,000 drawn from all of them (a big team's list stays small).
contacts = Record.objects.filter(team_id=team_id, segment="contact", deleted_at__isnull=True).order_by("?")
print(json.dumps({"sessions": sessions, "contacts": [str(i) for i in contacts.values_list("id", flat=True)[:5000]]}))
"""


class Server:
    """One gunicorn, its output (and access log) in a file; stopped, then killed, at the end."""

    def __init__(self, name: str, app: str, config: str, port: int, env: dict[str, str], extra: list[str]) -> None:
        self.name, self.url = name, f"http://127.0.0.1:{port}"
        self.log = RUN / f"{name}.log"
        self._out = self.log.open("w")
        command = [sys.executable, "-m", "gunicorn", "-c", config, app, "--bind", f"127.0.0.1:{port}", "--access-logfile", "-", *extra]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self._out, stderr=subprocess.STDOUT)

    def wait_until_up(self, path: str) -> None:
        import requests

        ends = time.monotonic() + 120
        while time.monotonic() < ends:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.name} stopped while starting: {self.log.read_text()[-3000:]}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(self.url + path, timeout=5).status_code < 500:
                    return
            time.sleep(0.2)
        raise SystemExit(f"{self.name} did not start within 120 s: {self.log.read_text()[-3000:]}")

    def log_lines(self) -> int:
        return self.log.read_text(errors="replace").count("\n")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)
        self._out.close()


def free_port() -> int:
    from tests.services import free_port as free

    return free()


# --- CPU used by each process tree (psutil comes with locust) ------------------------------------


def tree_cpu(pid: int) -> dict[int, float]:
    """CPU seconds (user + system) used so far by a process and each of its living descendants, by pid."""
    import psutil

    used: dict[int, float] = {}
    with contextlib.suppress(psutil.Error):
        root = psutil.Process(pid)
        for proc in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                t = proc.cpu_times()
                used[proc.pid] = t.user + t.system
    return used


def cpu_since(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between two readings; a process gone meanwhile (a closed PostgreSQL backend) is not counted."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def listening_pid(port: int) -> int:
    import psutil

    for conn in psutil.net_connections(kind="tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port and conn.pid:
            return conn.pid
    raise SystemExit(f"No process listens on port {port}.")


# --- before the load: every page once, checked; single-person times; API calls per page ----------


class StatementLog:
    """PostgreSQL's log of every statement with its duration, read as it grows."""

    LINE = re.compile(r"^(\w*)\|LOG:  duration: ([\d.]+) ms")

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = path.stat().st_size
        self.text = ""  # the lines last read

    def since_last(self) -> dict[str, tuple[int, float]]:
        """{application: (statements, milliseconds)} logged since the last call."""
        with self.path.open("rb") as f:
            f.seek(self.offset)
            text = f.read().decode(errors="replace")
            self.offset = f.tell()
        self.text = text
        found: dict[str, tuple[int, float]] = {}
        for line in text.splitlines():
            m = self.LINE.match(line)
            if m:
                count, ms = found.get(m.group(1), (0, 0.0))
                found[m.group(1)] = (count + 1, ms + float(m.group(2)))
        return found


@contextlib.contextmanager
def statement_log(database_url: str):
    """Every statement logged, with its duration and its server's application_name, while inside."""
    import psycopg

    def configure(*statements: str) -> None:
        with psycopg.connect(database_url, autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)
            conn.execute("SELECT pg_reload_conf()")

    with psycopg.connect(database_url) as conn:
        data_directory = Path(conn.execute("SHOW data_directory").fetchone()[0])
    configure("ALTER SYSTEM SET log_min_duration_statement = 0", "ALTER SYSTEM SET log_line_prefix = '%a|'")
    try:
        time.sleep(0.5)  # the servers' backends read the reloaded settings between statements
        yield StatementLog(data_directory.parent / "postgres.log")
    finally:
        configure("ALTER SYSTEM RESET log_min_duration_statement", "ALTER SYSTEM RESET log_line_prefix")


def check_and_time(sides: dict, config: dict, sandbox: Server, sql: StatementLog, rounds: int = 10) -> dict:
    """Each kind of page on each side: checked once, then timed `rounds` times alone.

    Returns {side: {kind: {"p50_ms": …, "api_calls": …, "sql": {server: (statements, ms)}}}}
    (medians; API calls on the dashboard only).
    """
    import requests

    results: dict[str, dict[str, dict]] = {}
    for name, server in sides.items():
        side = load_pages.SIDES[name]
        session = requests.Session()
        session.cookies.set("sessionid", config["sessions"][name][-1], domain="127.0.0.1", path="/")
        record_id = config["contacts"][0]
        times: dict[str, list[float]] = {k: [] for k in ("browse", "filter", "open", "edit form", "save")}
        calls: dict[str, list[int]] = {k: [] for k in times}
        statements: dict[str, list[dict]] = {k: [] for k in times}
        for n in range(rounds + 1):
            for kind, do in single_person_steps(session, server.url, side, record_id, n).items():
                before = sandbox.log_lines()
                sql.since_last()
                t0 = time.perf_counter()
                problem = do()
                elapsed = (time.perf_counter() - t0) * 1000
                if problem:
                    raise SystemExit(f"{name}, {kind}: {problem}")
                if n:  # the first round checks and warms up
                    times[kind].append(elapsed)
                    calls[kind].append(sandbox.log_lines() - before)
                    time.sleep(0.05)  # the log is written by another process
                    statements[kind].append(sql.since_last())
                    if n == 1:  # which statements, once per kind: RUN/statements.txt
                        with (RUN / "statements.txt").open("a") as out:
                            out.write(f"===== {name}, {kind}\n{sql.text}\n")
        results[name] = {
            k: {
                "p50_ms": statistics.median(times[k]),
                "api_calls": statistics.median(calls[k]) if name == "dashboard" else None,
                "sql": {
                    app: (
                        statistics.median(s.get(app, (0, 0))[0] for s in statements[k]),
                        statistics.median(s.get(app, (0, 0))[1] for s in statements[k]),
                    )
                    for app in ("dashboard", "sandbox", "admin")
                },
            }
            for k in times
        }
    return results


def single_person_steps(session, base: str, side, record_id: str, n: int) -> dict:
    """The five kinds of page, as callables that return a sentence when something is wrong."""
    state: dict = {}

    def get(url: str, ok) -> str | None:
        response = session.get(base + url, allow_redirects=False)
        if response.status_code != 200:
            return f"{url} answered {response.status_code}"
        if not ok(response.text):
            return f"{url} lacks what it should show"
        state["html"] = response.text
        return None

    def save() -> str | None:
        fields = side.edit_form(state["html"], f"Load check {n}")
        url = base + side.edit(record_id)
        response = session.post(url, data=fields, headers={"Referer": url}, allow_redirects=False)
        outcome = side.save_outcome(response.status_code, response.headers.get("Location", ""))
        return None if outcome == "saved" else outcome

    return {
        "browse": lambda: get(side.page_one(), side.table_ok),
        "filter": lambda: get(side.filtered(load_pages.STATUSES[n % 3]), side.table_ok),
        "open": lambda: get(side.record(record_id), lambda html: side.record_ok(html, record_id)),
        "edit form": lambda: get(side.edit(record_id), lambda html: side.edit_form(html, "") is not None),
        "save": save,
    }


# --- the load -----------------------------------------------------------------------------------


def run_locust(side: str, server: Server, users: int, seconds: int, config_path: Path, pids: dict[str, int]) -> dict:
    """One headless locust run; returns its figures per kind and the CPU each process used."""
    prefix = RUN / f"{side}-{users}"
    env = {**os.environ, "LOAD_CONFIG": str(config_path), "LOAD_SIDE": side, "PYTHONPATH": str(ROOT)}
    command = [
        sys.executable, "-m", "locust", "-f", str(ROOT / "benchmarks" / "load_users.py"), "--headless",
        "-u", str(users), "-r", str(math.ceil(users / RAMP_SECONDS)), "-t", f"{seconds}s", "--host", server.url,
        "--csv", str(prefix), "--reset-stats", "--only-summary", "--stop-timeout", "0", "--loglevel", "WARNING",
    ]  # fmt: skip
    before = {name: tree_cpu(pid) for name, pid in pids.items()}
    load_before = os.getloadavg()[0]
    with (RUN / f"{side}-{users}.out").open("w") as out:
        locust = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        import psutil

        locust_proc = psutil.Process(locust.pid)
        locust_cpu = 0.0
        while locust.poll() is None:
            with contextlib.suppress(psutil.Error):
                t = locust_proc.cpu_times()
                locust_cpu = t.user + t.system
            time.sleep(0.5)
    cpu = {name: cpu_since(before[name], tree_cpu(pid)) for name, pid in pids.items()} | {"locust": locust_cpu}
    stats = read_stats(Path(f"{prefix}_stats.csv"))
    if not stats:
        raise SystemExit(f"locust wrote no statistics: {(RUN / f'{side}-{users}.out').read_text()[-3000:]}")
    failures = read_failures(Path(f"{prefix}_failures.csv"))
    return {"stats": stats, "failures": failures, "cpu": cpu, "load": (load_before, os.getloadavg()[0])}


def read_stats(path: Path) -> dict[str, dict]:
    if not path.exists():
        return {}
    rows = {}
    with path.open() as f:
        for row in csv.DictReader(f):
            if int(row["Request Count"]) == 0:
                continue  # a kind nobody happened to do after the statistics were reset
            rows[row["Name"]] = {
                "count": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "per_s": float(row["Requests/s"]),
                "p50": float(row["50%"]),
                "p95": float(row["95%"]),
            }
    return rows


def read_failures(path: Path) -> list[str]:
    if not path.exists():
        return []
    with path.open() as f:
        return [f"{row['Name']}: {row['Error']} ×{row['Occurrences']}" for row in csv.DictReader(f)]


# --- the report ---------------------------------------------------------------------------------


def cell(stats: dict, kind: str) -> str:
    s = stats.get(kind)
    if not s:
        return f"{'—':>34}"
    fails = f"{s['failures']}" if s["failures"] else "0"
    return f"{s['per_s']:>8.1f}{s['p50']:>8.0f}{s['p95']:>8.0f}{fails:>10}"


def report(levels: list[int], results: dict, single: dict, args, contacts: int) -> None:
    print()
    print(f"Load: {contacts:,} contacts, gunicorn {args.workers} workers × {args.threads} threads per side, PostgreSQL + Redis,")
    print(f"{args.seconds} s per run (statistics from the moment all people are there, after ≤ {RAMP_SECONDS} s),")
    print(f"think time {THINK_SECONDS[0]}–{THINK_SECONDS[1]} s, tasks browse : filter : open : edit = 3 : 2 : 3 : 1.")
    print("What differs: the dashboard's pages call the sandbox (its own gunicorn, 2 × 8) over HTTP; the admin")
    print("reads the database itself. Dashboard people are Editors with their own Prism key; admin people superusers.")
    print()
    print("One person alone, medians of 10: time per page; the dashboard's API calls; SQL statements (time in SQL)")
    print("by the server that ran them:")
    for kind in ("browse", "filter", "open", "edit form", "save"):
        d, a = single["dashboard"][kind], single["admin"][kind]
        dsql = "  ".join(f"{app} {n:.0f} ({ms:.1f} ms)" for app, (n, ms) in d["sql"].items() if app != "admin")
        asql = "{:.0f} ({:.1f} ms)".format(*a["sql"]["admin"])
        print(f"  {kind:<10} dashboard {d['p50_ms']:6.1f} ms, {d['api_calls']:.0f} API call, SQL {dsql}")
        print(f"  {'':<10} admin     {a['p50_ms']:6.1f} ms,             SQL admin {asql}")
    for users in levels:
        d, a = results[users]["dashboard"], results[users]["admin"]
        print()
        print(f"{users} people at once")
        head = (
            f"{'page':<17}"
            + f"{'dashboard: pages/s':>20}{'p50':>6}{'p95':>8}{'failures':>10}"
            + f"{'admin: pages/s':>16}{'p50':>8}{'p95':>8}{'failures':>10}"
        )
        print(head)
        print("-" * len(head))
        for kind in (*KINDS, "Aggregated"):
            label = "all pages" if kind == "Aggregated" else kind
            if kind == "save (conflict)" and kind not in d["stats"] and kind not in a["stats"]:
                continue
            print(f"{label:<17}{cell(d['stats'], kind)}    {cell(a['stats'], kind)}")
        for name, r in (("dashboard", d), ("admin", a)):
            pages = r["stats"]["Aggregated"]["count"] or 1
            cpu = ", ".join(f"{k} {v / pages * 1000:.1f}" for k, v in r["cpu"].items() if v > 0.05)
            print(f"  {name}: CPU ms per page: {cpu}; load average {r['load'][0]:.1f} → {r['load'][1]:.1f}")
            for line in r["failures"][:5]:
                print(f"    failure: {line}")
    if GOAL_USERS in results:
        d = results[GOAL_USERS]["dashboard"]["stats"]["Aggregated"]
        a = results[GOAL_USERS]["admin"]["stats"]["Aggregated"]
        ratio = d["per_s"] / a["per_s"] if a["per_s"] else float("inf")
        met = ratio >= GOAL_RATIO and d["p95"] < a["p95"]
        print()
        print(
            f"Goal at {GOAL_USERS} people: dashboard ≥ {GOAL_RATIO:g}× the admin's pages/s at a lower p95: "
            f"{d['per_s']:.1f} vs {a['per_s']:.1f} pages/s ({ratio:.2f}×), p95 {d['p95']:.0f} vs {a['p95']:.0f} ms: "
            f"{'met' if met else 'NOT met'}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", default="10,50,100", help="numbers of people at once (default 10,50,100)")
    parser.add_argument("--seconds", type=int, default=40, help="length of each run, per side and number (default 40)")
    parser.add_argument("--contacts", type=int, default=5000, help="the demo team's contacts (default 5,000)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers of the dashboard and of the admin (default 2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (default 4)")
    args = parser.parse_args()
    levels = sorted(int(n) for n in args.users.split(","))
    if not levels or levels[0] < 1 or args.seconds <= RAMP_SECONDS:
        raise SystemExit(f"--users takes positive numbers and --seconds must exceed the {RAMP_SECONDS} s ramp.")
    try:
        import locust  # noqa: F401
    except ImportError:
        raise SystemExit("locust is not installed: .venv/bin/pip install -e '.[bench]'") from None
    sys.path.insert(0, str(ROOT))
    from tests.services import postgres_server, redis_server

    RUN.mkdir(parents=True, exist_ok=True)
    (RUN / "statements.txt").unlink(missing_ok=True)
    servers: list[Server] = []
    with postgres_server() as database_url, redis_server() as cache_url:
        env = base_env(database_url, cache_url)
        t0 = time.perf_counter()
        manage(env, "migrate", "--no-input", "-v0")
        manage(env, "collectstatic", "--no-input", "-v0")
        manage(env, "seed_demo", "--team", TEAM, "--size", str(args.contacts))
        provision = subprocess.run(
            [sys.executable, "-c", PROVISION, str(levels[-1]), TEAM], cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )
        if provision.returncode != 0:
            raise SystemExit(f"Making the people failed: {provision.stderr[-3000:]}")
        config = json.loads(provision.stdout) | {"tasks": TASKS, "think_seconds": THINK_SECONDS}
        config_path = RUN / "config.json"
        config_path.write_text(json.dumps(config))
        print(f"seeded {args.contacts:,} contacts and {levels[-1]} people per side in {time.perf_counter() - t0:.0f} s", flush=True)

        pool = ["--workers", str(args.workers), "--threads", str(args.threads), "--timeout", "60", "--graceful-timeout", "30"]
        try:
            sandbox_env = env | {"DATABASE_URL": f"{database_url}?application_name=sandbox"}
            sandbox = Server(
                "sandbox", "prism_sandbox.server.wsgi", "python:prism_sandbox.server.gunicorn_conf", free_port(), sandbox_env, []
            )
            servers.append(sandbox)
            sandbox.wait_until_up("/sandbox/")
            # Each server names itself to PostgreSQL, so that the statement log says whose a query is.
            dash_env = env | {"MICRO_BASE_URL": f"{sandbox.url}/sandbox", "DATABASE_URL": f"{database_url}?application_name=dashboard"}
            dashboard = Server("dashboard", "dashboard.wsgi", "python:dashboard.gunicorn_conf", free_port(), dash_env, pool)
            admin_env = env | {
                "DJANGO_SETTINGS_MODULE": "benchmarks.admin_settings",
                "MICRO_BASE_URL": f"{sandbox.url}/sandbox",
                "DATABASE_URL": f"{database_url}?application_name=admin",
            }
            admin = Server("admin", "dashboard.wsgi", "python:dashboard.gunicorn_conf", free_port(), admin_env, pool)
            servers += [dashboard, admin]
            dashboard.wait_until_up("/accounts/login/")
            admin.wait_until_up("/bench-admin/login/")
            sides = {"dashboard": dashboard, "admin": admin}
            with statement_log(database_url) as sql:
                single = check_and_time(sides, config, sandbox, sql)
            print("every kind of page checked on both sides", flush=True)

            pg_port = int(re.search(r":(\d+)/", database_url).group(1))
            pids = {"postgres": listening_pid(pg_port), "sandbox": sandbox.process.pid}
            results: dict[int, dict] = {}
            for i, users in enumerate(levels):
                order = ["dashboard", "admin"] if i % 2 == 0 else ["admin", "dashboard"]
                results[users] = {}
                for side in order:
                    server_pids = pids | {side: sides[side].process.pid}
                    if side == "admin":
                        server_pids.pop("sandbox")  # idle during the admin's run
                    results[users][side] = run_locust(side, sides[side], users, args.seconds, config_path, server_pids)
                    agg = results[users][side]["stats"]["Aggregated"]
                    print(f"{users:>4} people, {side:<9}: {agg['per_s']:.1f} pages/s, p95 {agg['p95']:.0f} ms", flush=True)
                    time.sleep(2)
        finally:
            for server in reversed(servers):
                server.stop()
    report(levels, results, single, args, args.contacts)


if __name__ == "__main__":
    main()
