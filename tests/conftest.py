"""Shared fixtures and helpers of every tier: a provisioned sandbox team served over real
HTTP by live_server, the dashboard pointed at it, logins, the contract's error shape.

A tier's conftest (tests/*/conftest.py) holds what only that tier uses; what two tiers
share lives here, so no tier imports another's conftest."""

import functools
import io
import os
import secrets
import uuid
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from django.conf import settings

from prism_sandbox.models import ApiKey
from prism_sandbox.teams import create_key, provision_team

TESTS = Path(__file__).resolve().parent
# Tiers: these directories hold the slow tests (a browser, or many requests per test);
# `pytest -m "not slow"` runs the rest. Tests reaching a server over HTTP are also `http`.
SLOW_TIERS = {"browser", "reliability"}
HTTP_FIXTURES = {"live_server", "stub_api"}


@functools.cache
def _tier_of(path: Path) -> str:
    path = path.resolve()
    return path.relative_to(TESTS).parts[0] if path.is_relative_to(TESTS) else ""


def tier(item) -> str:
    """The directory under tests/ an item is in: client, sandbox, dashboard, browser, reliability."""
    return _tier_of(Path(item.path))


def django_order(item) -> int:
    """pytest-django's (and Django's) order: database tests in a rolled-back transaction,
    then transactional ones (they empty the tables after them), then the rest."""
    fixtures = set(getattr(item, "fixturenames", ()))
    if fixtures & {"transactional_db", "live_server"}:
        return 1
    return 0 if "db" in fixtures or item.get_closest_marker("django_db") else 2


def pytest_itemcollected(item):
    # Marked as collected, so that `-m` (which deselects in pytest_collection_modifyitems) sees the tiers.
    if tier(item) in SLOW_TIERS:
        item.add_marker(pytest.mark.slow)
    if HTTP_FIXTURES & set(getattr(item, "fixturenames", ())):
        item.add_marker(pytest.mark.http)


@pytest.hookimpl(trylast=True)  # after pytest-django's sort
def pytest_collection_modifyitems(config, items):
    # Within Django's order, the slow tiers first (a stable sort: modules stay whole):
    # under pytest-xdist their long tests start early, not last and on one worker alone.
    items.sort(key=lambda item: (django_order(item), tier(item) not in SLOW_TIERS))


def pytest_xdist_auto_num_workers(config):
    """Workers for `-n auto`: PYTEST_XDIST_AUTO_NUM_WORKERS if set, else one per core and one
    more (at most 8). Every test waits some of its time (htmx's delays, answers held on
    purpose, servers starting), so a third worker on two cores uses the CPU the other two
    leave: 315 s against 362 s for the SQLite pass (docs/performance.md). Two per core
    oversubscribed the CPU and the tests bound by time (deadlines, fifty people at once)
    lost their margins."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return int(os.environ["PYTEST_XDIST_AUTO_NUM_WORKERS"])
    return min(len(os.sched_getaffinity(0)) + 1, 8)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    # Several test runs share this tree at the same time; with one SQLite test file,
    # each run's setup would delete the others' database. One file per process.
    names = []
    for db in settings.DATABASES.values():
        test = db.setdefault("TEST", {})
        name = test.get("NAME")
        if name and db["ENGINE"].endswith("sqlite3"):
            test["NAME"] = name.replace(".sqlite3", f"_{os.getpid()}.sqlite3")
            names.append(Path(test["NAME"]))
    yield
    for name in names:  # the WAL files Django's teardown leaves beside the database
        for leftover in (name.with_name(name.name + "-shm"), name.with_name(name.name + "-wal")):
            leftover.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test databases. Before they are dropped, the sessions still open on a
    PostgreSQL one are ended: a live server's request thread kept alive by a client's pooled
    connection holds its database connection after the server stops, and PostgreSQL refuses
    to drop a database in use (a warning at the end of a pass, after a 5 s wait)."""
    yield
    from django.db import connections

    with django_db_blocker.unblock():
        for connection in connections.all():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )


# After each transactional test (every test using live_server), Django's flush empties
# every table, then its post_migrate signal creates the content types and permissions
# again, the same rows: that took a fifth of such a test's time. The flush here leaves
# those two tables as they are and sends no post_migrate, whose only receivers (listed
# below) create them; were another receiver added, Django's own flush runs.
KEPT_BY_FLUSH = ("django_content_type", "auth_permission")
POST_MIGRATE_RECEIVERS = {"create_contenttypes", "create_permissions", "rename_permissions_after_model_rename"}


@pytest.fixture(scope="session", autouse=True)
def _flush_keeps_content_types_and_permissions():
    from django.core.management.commands import flush
    from django.db.models.signals import post_migrate

    functions = [r() if isinstance(r, weakref.ReferenceType) else r for _, r, *_ in post_migrate.receivers]
    receivers = {getattr(function, "__name__", "?") for function in functions}
    if receivers - POST_MIGRATE_RECEIVERS:
        yield
        return

    def sql_flush(style, connection, reset_sequences=True, allow_cascade=False):
        # Django's own, less the kept tables (PostgreSQL truncates every table in one statement).
        tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
        kept = [t for t in tables if t not in KEPT_BY_FLUSH]
        return connection.ops.sql_flush(style, kept, reset_sequences=reset_sequences, allow_cascade=allow_cascade)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(flush, "sql_flush", sql_flush)
        patch.setattr(flush, "emit_post_migrate_signal", lambda *args, **kwargs: None)
        yield


@dataclass
class Sandbox:
    """A sandbox team reachable over HTTP: its base URL, team id and admin key."""

    base_url: str
    team_id: str
    api_key: str
    session: requests.Session = field(default_factory=requests.Session, repr=False)

    def url(self, path: str = "") -> str:
        return f"{self.base_url}/v2/prism/{self.team_id}/{path.lstrip('/')}"

    def request(self, method: str, path: str, *, key: str | None = None, headers=None, **kwargs) -> requests.Response:
        all_headers = {"x-api-key": key or self.api_key, **(headers or {})}
        return self.session.request(method, self.url(path), headers=all_headers, timeout=30, **kwargs)

    def create(self, segment: str, **props) -> str:
        """A new record of `segment` with these properties, made through the API: its id."""
        response = self.request("POST", segment, json={"default": props})
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def make_key(self, role: str = ApiKey.Role.MEMBER, user_id=None, group_ids=()) -> str:
        raw = f"sk_test_{secrets.token_urlsafe(24)}"
        team = provision_team(self.team_id)
        create_key(team, raw, role=role, user_id=user_id, group_ids=list(group_ids))
        return raw

    def logged_requests(self) -> list:
        """The sandbox's request log (prism_sandbox.chaos) for this team alone. The log is the
        process's, and the live server is the session's: a request an earlier test left in
        flight (a browser's last fetch, answered after that test ended) can end during this
        one, for that test's team."""
        from prism_sandbox import chaos

        return [call for call in chaos.request_log() if self.owns(call)]

    def owns(self, call) -> bool:
        """Whether a logged API request was made to this team."""
        return f"/v2/prism/{self.team_id}/" in call.path

    def sdk(self, **kwargs):
        """The official micro-so SDK, unmodified, pointed at this sandbox."""
        from micro_so import Micro

        return Micro(api_key=self.api_key, base_url=self.base_url, team_id=self.team_id, max_retries=0, **kwargs)


def make_team() -> tuple[str, str]:
    team_id = str(uuid.uuid4())
    raw = f"sk_test_{secrets.token_urlsafe(24)}"
    create_key(provision_team(team_id, "Test team"), raw, label="test admin")
    return team_id, raw


@pytest.fixture
def sandbox(live_server, transactional_db) -> Iterator[Sandbox]:
    team_id, raw = make_team()
    box = Sandbox(base_url=f"{live_server.url}/sandbox", team_id=team_id, api_key=raw)
    yield box
    box.session.close()


# The task worker runs in its own process, so it cannot see a test's settings: it is
# given this team and key, which `worker_sandbox` provisions for the tests that need
# dashboard tasks (bulk actions over all matching records).
WORKER_TEAM_ID = "7e570000-0000-4000-8000-00000000b01c"
WORKER_API_KEY = "sk_test_task_worker_0123456789abcdef"


def database_url(db: dict) -> str:
    """A URL for the test database as this process uses it (its test name, not DATABASE_URL's)."""
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    from urllib.parse import quote

    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    return f"postgres://{quote(db['USER'], safe='')}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture(scope="session")
def task_worker(django_db_setup, django_db_blocker, live_server):
    """A real `manage.py db_worker` process running Django tasks against the test database."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "dashboard.settings_test",
        "DATABASE_URL": database_url(db),
        "MICRO_BASE_URL": f"{live_server.url}/sandbox",
        "MICRO_TEAM_ID": WORKER_TEAM_ID,
        "MICRO_API_KEY": WORKER_API_KEY,
    }
    process = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-reload", "--interval", "0.1", "--no-startup-delay"],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    yield process
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def worker_sandbox(task_worker, live_server, transactional_db) -> Iterator[Sandbox]:
    """Like `sandbox`, but the team the task worker's dashboard tasks talk to."""
    create_key(provision_team(WORKER_TEAM_ID, "Worker team"), WORKER_API_KEY, label="task worker")
    box = Sandbox(base_url=f"{live_server.url}/sandbox", team_id=WORKER_TEAM_ID, api_key=WORKER_API_KEY)
    yield box
    box.session.close()


def connect_key(user, api_key: str):
    """Store a person's own Prism key the way the profile page does (encrypted)."""
    from dashboard.models import PrismKey

    PrismKey.store(user, api_key)
    return user


@pytest.fixture
def stub_api() -> Iterator[object]:
    """A stub Prism API (tests/stub_api.py) on a random local port: contract-shaped answers
    that a test turns odd per route. Stopped after the test."""
    from tests.stub_api import StubAPI

    stub = StubAPI().start()
    yield stub
    stub.stop()


@pytest.fixture
def prism(sandbox, settings):
    """The dashboard pointed at this test's sandbox team, with demo records in it."""
    from django.core.cache import cache
    from django.core.management import call_command

    from prism_sandbox import chaos

    settings.MICRO_BASE_URL = sandbox.base_url
    settings.MICRO_API_KEY = sandbox.api_key
    settings.MICRO_TEAM_ID = sandbox.team_id
    settings.PRISM_MAX_RETRIES = 0
    cache.clear()
    call_command("seed_demo", "--team", sandbox.team_id, "--size", "60", stdout=io.StringIO())
    yield sandbox
    chaos.configure()
    cache.clear()


def login(client, role):
    """Sign `client` (Django's test client) in as a new user of this role (dashboard.roles.Role)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from dashboard.roles import sync_groups

    sync_groups()  # transactional tests flush the groups the migration made
    user = get_user_model().objects.create_user(username=role.value.lower(), password="pw-for-tests-only")
    user.groups.set([Group.objects.get(name=role.value)])
    if settings.MICRO_API_KEY:
        connect_key(user, settings.MICRO_API_KEY)  # per-person mode: the test team's key, as theirs
    client.force_login(user)
    return client


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The contract's error shape: JSON {"error": {code, message, details}}."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert set(error) >= {"code", "message", "details"}
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], dict)
    if code is not None:
        assert error["code"] == code
    if 400 <= status < 500 and status not in (408, 429):
        assert response.headers.get("x-should-retry") == "false"
    return error
