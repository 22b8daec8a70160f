"""Two production instances of the dashboard side by side, each started by scripts/serve.

Instance A and instance B run `scripts/serve` (production settings, DEBUG off, gunicorn)
on two ports, sharing one PostgreSQL (DATABASE_URL) and one Redis (CACHE_URL). A migrates
and runs the task worker (TASK_WORKERS=1); B only serves pages (TASK_WORKERS=0,
MIGRATE=0). Whichever instance a request reaches, the person sees the same thing: the
session, a background job's progress, the sign-in throttle and the record versions are
all kept outside the instance.

The Prism API is the sandbox served as a process of its own (prism_sandbox/server/) with
a database of its own, a SQLite file: it stands for Micro's API, which keeps its records
apart from the dashboards' database, and the dashboards run with the sandbox off, as in
production. Each person has a Prism key of their own (PRISM_ACCESS=per_person).

Every process gets a controlled environment, whose values win over a developer's .env
(in scripts/serve as in the settings), and its log in a file, shown when something fails.
"""

import contextlib
import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests

from tests.dashboard.forms_html import form_values
from tests.servers import ROOT, Server, free_port
from tests.services import postgres_server, redis_server

pytestmark = pytest.mark.slow

TEAM_ID = "2a2a2a2a-0000-4000-8000-0000000000ab"
ADMIN_KEY = "sk_sandbox_two_instances_admin_0123456789"
PEOPLE = {  # username -> their own Prism key (a member key of the team)
    "person1": "sk_sandbox_two_instances_person1_0123456789",
    "person2": "sk_sandbox_two_instances_person2_0123456789",
    "guessed": "",  # whose password someone guesses at (never signs in)
}
PASSWORD = "two-instances-password-0"
FERNET_KEY = "3Uz7Qc1bZxQmCqQ3s6r0Ck8mS2Kq9bVtF0yYh7y2o5E="
SECRET_KEY = "two-instances-secret-key-not-for-production-0123456789"
CONTACTS = 1600  # the demo size: 400 deals, over 100 of them prospects (two chunks of a bulk action)
START_TIMEOUT = 240.0  # migrate + collectstatic + check on a busy machine
REQUEST_TIMEOUT = 60.0
JOB_TIMEOUT = 120.0
LOGIN = "/accounts/login/"
HELD_BACK = "Too many failed sign-ins for this username from your address."
WRONG_PASSWORD = "Please enter a correct username and password."
RESET_REFUSED = "Too many password reset requests. Try again in an hour."
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

# Migrates the sandbox's own database, seeds the demo team and makes its keys.
SANDBOX_SETUP = """
import sys, uuid
import django
django.setup()
from django.core.management import call_command
from prism_sandbox.models import ApiKey
from prism_sandbox.teams import create_key, provision_team

team_id, admin_key, size, *members = sys.argv[1:]
call_command("migrate", "--no-input", verbosity=0)
call_command("seed_demo", "--team", team_id, "--size", size, verbosity=0)
team = provision_team(team_id)
create_key(team, admin_key, label="two-instance test: admin")
for key in members:
    create_key(team, key, role=ApiKey.Role.MEMBER, user_id=uuid.uuid4(), label="two-instance test: person")
"""

# Editors in the dashboards' database, each with their Prism key stored as the profile page stores it.
PEOPLE_SETUP = """
import json, sys
import django
django.setup()
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from dashboard.models import PrismKey
from dashboard.roles import Role

password, people = sys.argv[1], json.loads(sys.argv[2])
editors = Group.objects.get(name=Role.EDITOR.value)
hashed = make_password(password)  # once: hashing is the slow part
for username, key in people.items():
    user = get_user_model().objects.create(username=username, password=hashed)
    user.groups.set([editors])
    if key:
        PrismKey.store(user, key)
"""


def controlled_env(**values: str) -> dict[str, str]:
    """Only what a process needs from this one's environment, and the values given."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ")}
    return keep | {"PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)} | values


@dataclass
class Api:
    """The sandbox's API with the team's admin key: to look at records behind the dashboards' back."""

    base_url: str

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        url = f"{self.base_url}/v2/prism/{TEAM_ID}/{path}"
        return requests.request(method, url, headers={"x-api-key": ADMIN_KEY}, timeout=REQUEST_TIMEOUT, **kwargs)

    def count(self, segment: str, **equals: str) -> int:
        body = {"query": {"filter": [{slug: {"=": value}} for slug, value in equals.items()], "limit": 1}, "include_total": True}
        response = self.request("POST", f"{segment}/query", json=body)
        assert response.status_code == 200, response.text
        return response.json()["total"]

    def record(self, segment: str, record_id: str) -> dict:
        response = self.request("GET", f"{segment}/{record_id}")
        assert response.status_code == 200, response.text
        return response.json()["default"]


@dataclass
class Deployment:
    a: Server
    b: Server
    sandbox: Server
    api: Api
    start_seconds: dict[str, float]

    def logs(self) -> str:
        return "\n".join(server.log_tail() for server in (self.a, self.b, self.sandbox))

    @contextlib.contextmanager
    def logs_on_failure(self) -> Iterator[None]:
        """A failing test shows the servers' logs (in its captured output)."""
        try:
            yield
        except BaseException:
            print(self.logs())
            raise


@pytest.fixture(scope="module")
def deployment(tmp_path_factory) -> Iterator[Deployment]:
    tmp = tmp_path_factory.mktemp("two-instances")
    servers: list[Server] = []
    with contextlib.ExitStack() as stack:
        database, cache = stack.enter_context(postgres_server()), stack.enter_context(redis_server())
        try:
            yield start(tmp, database, cache, servers)
        except Exception:
            print("\n".join(server.log_tail() for server in servers))
            raise
        finally:
            for server in reversed(servers):  # before PostgreSQL and Redis stop
                server.stop()


def start(tmp: Path, database: str, cache: str, servers: list[Server]) -> Deployment:
    started = time.monotonic()
    sandbox_port, port_a, port_b = free_port(), free_port(), free_port()
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    dashboard = controlled_env(
        DJANGO_SETTINGS_MODULE="dashboard.settings",
        VIRTUAL_ENV=sys.prefix,  # scripts/serve runs this interpreter's environment
        DEBUG="false",
        SECRET_KEY=SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database,
        CACHE_URL=cache,
        MICRO_BASE_URL=f"{sandbox_url}/sandbox",
        MICRO_TEAM_ID=TEAM_ID,
        MICRO_API_KEY="",  # each person acts with their own key
        PRISM_ACCESS="per_person",
        PRISM_KEY_ENCRYPTION_KEYS=FERNET_KEY,
        PRISM_SANDBOX_ENABLED="false",
        # Plain HTTP on 127.0.0.1: no TLS proxy in front.
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        SECURE_HSTS_SECONDS="0",
        TRUSTED_PROXY_COUNT="0",
        LOGIN_FAILURE_LIMIT="5",
        # Password reset on, and its throttle. Nothing listens there: no email is sent, since no
        # account has the address asked for (a development backend would fail check --deploy).
        EMAIL_URL=f"smtp://127.0.0.1:{free_port()}",
        PASSWORD_RESET_LIMIT="5",
        STATIC_ROOT=str(tmp / "static"),
        LOG_LEVEL="WARNING",
        WEB_CONCURRENCY="1",  # a 2-core machine: one worker each, 4 threads
        GUNICORN_THREADS="4",
    )
    sandbox_env = controlled_env(
        DJANGO_SETTINGS_MODULE="prism_sandbox.server.settings",
        DEBUG="false",
        SECRET_KEY=SECRET_KEY,
        DATABASE_URL=f"sqlite:///{tmp / 'sandbox.sqlite3'}",
        MICRO_TEAM_ID=TEAM_ID,
        MICRO_API_KEY=ADMIN_KEY,
        PRISM_SANDBOX_RATE_LIMIT="",
        PRISM_SANDBOX_CHAOS="{}",
        SANDBOX_WORKERS="1",
        SANDBOX_THREADS="8",
    )
    # A first: it migrates. The sandbox's database is made meanwhile.
    a = instance("instance A", port_a, dashboard, tmp / "a.log", migrate="1", task_workers="1")
    servers.append(a)
    members = [key for key in PEOPLE.values() if key]
    run(sandbox_env, "-c", SANDBOX_SETUP, TEAM_ID, ADMIN_KEY, str(CONTACTS), *members)
    sandbox_command = [sys.executable, "-m", "gunicorn", "-c", "python:prism_sandbox.server.gunicorn_conf", "prism_sandbox.server.wsgi"]
    sandbox = Server(
        "sandbox", [*sandbox_command, "--bind", f"127.0.0.1:{sandbox_port}"], url=sandbox_url, log=tmp / "sandbox.log", env=sandbox_env
    )
    servers.append(sandbox)
    timings = {"A": a.wait_until_up(LOGIN, START_TIMEOUT)}
    run(dashboard, "-c", PEOPLE_SETUP, PASSWORD, json.dumps(PEOPLE))
    b = instance("instance B", port_b, dashboard, tmp / "b.log", migrate="0", task_workers="0")  # once A has migrated
    servers.append(b)
    sandbox.wait_until_up("/sandbox/", START_TIMEOUT)
    timings["B"] = b.wait_until_up(LOGIN, START_TIMEOUT)
    timings["all"] = time.monotonic() - started
    print(f"\ntwo instances up: {json.dumps({k: round(v, 1) for k, v in timings.items()})}")
    return Deployment(a, b, sandbox, Api(f"{sandbox_url}/sandbox"), timings)


def instance(name: str, port: int, env: dict[str, str], log: Path, *, migrate: str, task_workers: str) -> Server:
    """The production start command, as an operator runs it on each instance."""
    knobs = {"BIND": f"127.0.0.1:{port}", "MIGRATE": migrate, "TASK_WORKERS": task_workers}
    return Server(name, [str(ROOT / "scripts" / "serve")], url=f"http://127.0.0.1:{port}", env=env | knobs, log=log)


def run(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


# --- a person in a browser ------------------------------------------------------------------


def text(response: requests.Response) -> str:
    return unescape(response.text)


def get(session: requests.Session, url: str, **kwargs) -> requests.Response:
    return session.get(url, timeout=REQUEST_TIMEOUT, allow_redirects=False, **kwargs)


def post(session: requests.Session, url: str, data: dict) -> requests.Response:
    """A form post with the CSRF token the browser holds (the cookie's)."""
    data = {"csrfmiddlewaretoken": session.cookies.get("csrftoken", ""), **data}
    return session.post(url, data=data, timeout=REQUEST_TIMEOUT, allow_redirects=False)


def sign_in(session: requests.Session, base_url: str, username: str, password: str = PASSWORD) -> requests.Response:
    page = get(session, base_url + LOGIN)
    assert page.status_code == 200 and CSRF_INPUT.search(page.text), page.status_code
    return post(session, base_url + LOGIN, {"username": username, "password": password})


def signed_in_as(response: requests.Response, username: str) -> bool:
    return response.status_code == 200 and f'aria-label="Your profile ({username})"' in response.text


# --- the tests -------------------------------------------------------------------------------


def test_signed_in_on_a_the_person_is_signed_in_on_b_and_signing_out_on_b_ends_it_on_a(deployment):
    a, b = deployment.a.url, deployment.b.url
    with deployment.logs_on_failure(), requests.Session() as browser:
        signed_in = sign_in(browser, a, "person1")
        assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/", signed_in.status_code
        home_b = get(browser, b + "/")
        assert signed_in_as(home_b, "person1"), home_b.status_code
        assert "Some counts are unavailable" not in home_b.text  # B reached Prism with person1's key
        assert requests.get(b + "/", allow_redirects=False, timeout=REQUEST_TIMEOUT).status_code == 302  # no cookie: sign in
        # Signing out on B ends the session everywhere (it lives in the shared database).
        assert post(browser, b + "/accounts/logout/", {}).status_code in (200, 302)
        after = get(browser, a + "/")
        assert after.status_code == 302 and after.headers["Location"].startswith(LOGIN)


def test_an_all_matching_bulk_action_started_on_a_is_followed_to_its_end_on_b(deployment):
    a, b, api = deployment.a.url, deployment.b.url, deployment.api
    prospects, lost = api.count("deal", stage="prospect"), api.count("deal", stage="lost")
    assert prospects > 100  # more than one chunk of the bulk action
    table = urlencode({"cols": "name,stage", "f0": "stage", "o0": "=", "v0": "prospect"})
    with deployment.logs_on_failure(), requests.Session() as browser:
        assert sign_in(browser, a, "person1").status_code == 302
        listed = get(browser, f"{a}/records/deal/?{table}")
        assert listed.status_code == 200 and "prospect" in listed.text
        form = {"action": "set", "scope": "all", "query_string": table, "slug": "stage", "value": "lost", "confirm": "1"}
        started = post(browser, a + "/records/deal/bulk/", form)
        assert started.status_code == 302 and started.headers["Location"].startswith("/bulk/"), text(started)[:2000]
        job_url = b + started.headers["Location"]  # followed on the other instance
        seen, ends = [], time.monotonic() + JOB_TIMEOUT
        while time.monotonic() < ends:
            progress = get(browser, job_url, headers={"HX-Request": "true"})  # what the page polls
            assert progress.status_code == 200 and 'id="bulk-progress"' in progress.text, progress.status_code
            status = re.search(r'data-status="([a-z]+)"', progress.text).group(1)
            if not seen or seen[-1] != status:
                seen.append(status)
            if status in ("complete", "failed"):
                break
            time.sleep(0.25)
        assert seen[-1] == "complete", seen
        print(f"\nbulk job over {prospects} deals, as B saw it: {' → '.join(seen)}")
        report = text(get(browser, job_url))
        assert f"{prospects} of {prospects} records" in report and f"{prospects} succeeded, 0 failed." in report
    # The records themselves, in the API: every prospect is lost now, and no other deal changed.
    assert api.count("deal", stage="prospect") == 0
    assert api.count("deal", stage="lost") == lost + prospects


def test_the_sign_in_throttle_counts_failures_on_both_instances_together(deployment):
    a, b = deployment.a.url, deployment.b.url
    with deployment.logs_on_failure():
        answers = []
        for base_url in (a, a, a, b, b):  # 3 failures on A, 2 on B: LOGIN_FAILURE_LIMIT is 5
            with requests.Session() as browser:
                answers.append(sign_in(browser, base_url, "guessed", "wrong-password"))
        assert [r.status_code for r in answers] == [200, 200, 200, 200, 429]
        assert all(WRONG_PASSWORD in text(r) and HELD_BACK not in text(r) for r in answers[:4])
        assert HELD_BACK in text(answers[4])
        # Held back on both, even with the right password.
        for base_url in (a, b):
            with requests.Session() as browser:
                held = sign_in(browser, base_url, "guessed")
                assert held.status_code == 429 and HELD_BACK in text(held), base_url
                assert not signed_in_as(get(browser, base_url + "/"), "guessed")


def test_the_password_reset_throttle_counts_requests_on_both_instances_together(deployment):
    a, b = deployment.a.url, deployment.b.url
    email = f"nobody-{uuid.uuid4().hex[:8]}@example.org"
    with deployment.logs_on_failure():
        answers = []
        for base_url in (a, b, a, b, a, b):  # PASSWORD_RESET_LIMIT is 5 an hour (the cache, Redis)
            with requests.Session() as browser:
                assert get(browser, base_url + "/accounts/password_reset/").status_code == 200
                answers.append(post(browser, base_url + "/accounts/password_reset/", {"email": email}))
        assert [r.status_code for r in answers] == [302] * 5 + [429]
        assert RESET_REFUSED in text(answers[5])


def test_an_edit_saved_on_b_meanwhile_is_a_conflict_for_the_person_saving_on_a(deployment):
    a, b, api = deployment.a.url, deployment.b.url, deployment.api
    created = api.request("POST", "contact", json={"default": {"first_name": "Ada", "last_name": "Twofold", "score": 10}})
    assert created.status_code == 201, created.text
    record = created.json()["id"]
    edit = f"/records/contact/{record}/edit/"
    with deployment.logs_on_failure(), requests.Session() as one, requests.Session() as two:
        assert sign_in(one, a, "person1").status_code == 302
        assert sign_in(two, b, "person2").status_code == 302
        opened = get(one, a + edit)  # person 1 opens the form on A...
        assert opened.status_code == 200
        mine = form_values(opened.text, "record-form")
        theirs_page = get(two, b + edit)  # ...person 2 changes the score on B and saves
        assert theirs_page.status_code == 200
        theirs = form_values(theirs_page.text, "record-form") | {"score": ["77"]}
        saved = post(two, b + edit, theirs)
        assert saved.status_code == 302, text(saved)[:2000]
        assert api.record("contact", record)["score"] == 77
        # Person 1 saves another score on A, from the version they opened: the conflict screen.
        conflict = post(one, a + edit, mine | {"score": ["50"]})
        assert conflict.status_code == 409, text(conflict)[:2000]
        assert re.findall(r'data-conflict="([a-z_]+)"', conflict.text) == ["score"]
    assert api.record("contact", record)["score"] == 77  # nothing overwritten
