"""One Idempotency-Key, one record: under concurrent identical creates, and across a
sandbox process killed in the middle of a keyed write and started again.

Raw `requests` over real HTTP, no client retry logic: each caller retries what the
contract says to retry (409 `idempotency_key_in_use`, a broken connection) until it
gets the first response replayed.
"""

import contextlib
import math
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests

from prism_sandbox import chaos

ROOT = Path(__file__).resolve().parents[2]
CREATORS = 10


@pytest.fixture(autouse=True)
def no_chaos():
    chaos.configure()
    yield
    chaos.configure()


def post_until_answered(session, url, headers, body, deadline: float, seen: list) -> requests.Response:
    """POST until the answer is not 409 in_use (or the connection breaks): the contract's retry."""
    while True:
        try:
            response = session.post(url, json=body, headers=headers, timeout=30)
        except requests.ConnectionError:
            seen.append("connection")
        else:
            if not (response.status_code == 409 and response.json()["error"]["code"] == "idempotency_key_in_use"):
                return response
            seen.append(409)
        assert time.monotonic() < deadline, f"still no answer; saw {seen[-5:]}"
        time.sleep(0.05)


def marked(base_url: str, team_id: str, api_key: str, marker: str) -> list[dict]:
    """Records whose first_name is the marker, read through the API."""
    body = {"query": {"select": ["first_name"], "filter": [{"first_name": {"=": marker}}], "limit": 50}, "include_total": True}
    response = requests.post(f"{base_url}/v2/prism/{team_id}/contact/query", json=body, headers={"x-api-key": api_key}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_ten_concurrent_identical_creates_make_one_record(sandbox, monkeypatch):
    marker = f"Concurrent {uuid.uuid4().hex[:8]}"
    body = {"default": {"first_name": marker, "email": "same@example.com"}}
    headers = {"x-api-key": sandbox.api_key, "Idempotency-Key": f"concurrent-{uuid.uuid4()}"}
    start = threading.Barrier(CREATORS)
    answers: list[requests.Response | BaseException] = [None] * CREATORS
    seen: list[list] = [[] for _ in range(CREATORS)]
    deadline = time.monotonic() + 60

    def hold_the_claim() -> None:
        # The first request holds its claimed key until each of the nine others has been
        # told it is in use, so the ten really overlap, however late a busy machine starts
        # them (a fixed processing time did not wait for the last ones). Bounded: if they
        # never come, the asserts below say so.
        while sum(409 in s for s in seen) < CREATORS - 1 and time.monotonic() < deadline - 30:
            time.sleep(0.01)

    monkeypatch.setattr(chaos, "slow_processing", hold_the_claim)  # where a keyed write has claimed its key

    def create(i: int) -> None:
        with requests.Session() as session:
            start.wait()
            try:
                answers[i] = post_until_answered(session, sandbox.url("contact"), headers, body, deadline, seen[i])
            except BaseException as exc:  # reported below, in the test's thread
                answers[i] = exc

    threads = [threading.Thread(target=create, args=(i,)) for i in range(CREATORS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)

    problems = [a for a in answers if not isinstance(a, requests.Response)]
    assert not problems, problems
    assert [a.status_code for a in answers] == [201] * CREATORS, [a.text for a in answers if a.status_code != 201]
    assert len({a.json()["id"] for a in answers}) == 1
    assert len({a.content for a in answers}) == 1 and len({a.headers["ETag"] for a in answers}) == 1
    originals = [a for a in answers if a.headers.get("Idempotent-Replayed") != "true"]
    assert len(originals) == 1  # the other nine are replays
    assert sum(s.count(409) for s in seen) >= CREATORS - 1  # they did arrive while the first ran
    assert len(marked(sandbox.base_url, sandbox.team_id, sandbox.api_key, marker)) == 1


# --- a sandbox process killed mid-request ---------------------------------------------------

TEAM_ID = str(uuid.uuid4())
API_KEY = f"sk_test_restart_{uuid.uuid4().hex}"
STALE_SECONDS = 8  # at least; longer than a restart takes, so the first retry meets the old claim


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SandboxProcess:
    """`manage.py runserver --noreload` on a file SQLite database of its own."""

    def __init__(self, tmp_path: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/sandbox"
        self.log = tmp_path / "runserver.log"
        self.db = tmp_path / "sandbox.sqlite3"
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("PRISM_", "MICRO_", "DJANGO_", "DATABASE_URL"))}
        self.env = keep | {
            "DJANGO_SETTINGS_MODULE": "dashboard.settings",
            "DATABASE_URL": f"sqlite:///{self.db}",
            "SECRET_KEY": "restart-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "MICRO_TEAM_ID": TEAM_ID,
            "MICRO_API_KEY": API_KEY,
            "PRISM_KEY_ENCRYPTION_KEYS": "3Uz7Qc1bZxQmCqQ3s6r0Ck8mS2Kq9bVtF0yYh7y2o5E=",
            "PRISM_SANDBOX_ENABLED": "true",  # off by default with DEBUG off
            "PRISM_SANDBOX_IDEMPOTENCY_STALE_SECONDS": str(STALE_SECONDS),
        }
        self.process: subprocess.Popen | None = None
        migrating = time.monotonic()
        done = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        # The stale window must outlast a restart, and a restart (Django's start, like
        # this migrate's) takes several times longer on a busy machine: measured, not hoped.
        self.stale_seconds = max(STALE_SECONDS, math.ceil(3 * (time.monotonic() - migrating)) + 2)
        self.env["PRISM_SANDBOX_IDEMPOTENCY_STALE_SECONDS"] = str(self.stale_seconds)

    def start(self, chaos_json: str = "") -> None:
        env = self.env | ({"PRISM_SANDBOX_CHAOS": chaos_json} if chaos_json else {})
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{self.port}"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while True:  # ready when the API answers (the first call provisions the team and key)
            assert self.process.poll() is None, self.log.read_text()[-2000:]
            try:
                if requests.get(self.url("contact/count"), headers={"x-api-key": API_KEY}, timeout=5).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, self.log.read_text()[-2000:]
            time.sleep(0.1)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()  # SIGKILL: no cleanup, like a crashed machine
            self.process.wait(timeout=10)
        self.process = None

    def claimed(self, key: str) -> bool:
        """Whether the key is held in flight (read straight from the server's SQLite file)."""
        with contextlib.closing(sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=5)) as db:
            row = db.execute("SELECT state FROM prism_sandbox_idempotencyentry WHERE key = ?", (key,)).fetchone()
        return row is not None and row[0] == "in_flight"

    def connected(self) -> bool:
        """Whether the server holds an established connection (Linux: /proc/net/tcp)."""
        port = f"{self.port:04X}"
        lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
        return any(f[1].endswith(f":{port}") and f[3] == "01" for f in (line.split() for line in lines))

    def url(self, path: str) -> str:
        return f"{self.base_url}/v2/prism/{TEAM_ID}/{path}"


@pytest.fixture
def sandbox_process(tmp_path):
    server = SandboxProcess(tmp_path)
    yield server
    server.kill()


@pytest.mark.parametrize(
    ("chaos_json", "claim_survives"),
    [
        # Killed while the write runs (its key claimed, nothing committed): the claim
        # outlives the process and is taken over once it is stale.
        ('{"processing_ms": 1500}', True),
        # Killed before the request reached the API view (chaos latency runs first).
        ('{"latency_ms": 1500}', False),
    ],
    ids=["killed-holding-the-key", "killed-before-the-key"],
)
def test_a_retry_after_a_restart_mid_request_makes_one_record(sandbox_process, chaos_json, claim_survives):
    server = sandbox_process
    server.start(chaos_json)
    marker = f"Restart {uuid.uuid4().hex[:8]}"
    body = {"default": {"first_name": marker}}
    headers = {"x-api-key": API_KEY, "Idempotency-Key": f"restart-{uuid.uuid4()}"}
    outcome: list = []

    def first_attempt() -> None:
        try:
            outcome.append(requests.post(server.url("contact"), json=body, headers=headers, timeout=30))
        except requests.RequestException as exc:
            outcome.append(exc)

    sender = threading.Thread(target=first_attempt)
    started = time.monotonic()
    sender.start()
    if claim_survives:
        # Wait for the claim in the sandbox's database (a probe sent sooner could claim
        # the key itself); then a second request with the key is told it is in use.
        deadline = time.monotonic() + 10
        while not server.claimed(headers["Idempotency-Key"]):
            assert time.monotonic() < deadline, "the request never claimed its key"
            time.sleep(0.02)
        claimed = time.monotonic()
        probe = requests.post(server.url("contact"), json=body, headers=headers, timeout=10)
        assert probe.status_code == 409 and probe.json()["error"]["code"] == "idempotency_key_in_use", probe.text
    else:
        # The server has taken the connection: the request sits in the 1.5 s of latency.
        deadline = time.monotonic() + 5
        while not server.connected():
            assert time.monotonic() < deadline, "the request never reached the server"
            time.sleep(0.02)
    assert time.monotonic() - started < 1.4, "too late to kill the server mid-request"
    server.kill()
    sender.join(timeout=30)
    assert len(outcome) == 1 and isinstance(outcome[0], requests.ConnectionError), outcome

    server.start()  # the same database and port, no chaos
    restarted = time.monotonic()
    retries: list = []
    # Answered once the dead claim is stale: the window (measured, longer on a busy machine) plus margin.
    response = post_until_answered(requests.Session(), server.url("contact"), headers, body, restarted + server.stale_seconds + 30, retries)
    assert response.status_code == 201, response.text
    assert response.headers.get("Idempotent-Replayed") != "true"  # the first attempt never completed
    if claim_survives:
        assert restarted - claimed < server.stale_seconds - 1, "the restart took longer than the stale window"
        assert retries and retries[0] == 409  # the dead process's claim still stood
        assert time.monotonic() - claimed >= server.stale_seconds - 0.5  # taken over once stale, not before
    else:
        assert retries == []
    again = requests.post(server.url("contact"), json=body, headers=headers, timeout=10)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == response.json()["id"]
    assert len(marked(server.base_url, TEAM_ID, API_KEY, marker)) == 1
