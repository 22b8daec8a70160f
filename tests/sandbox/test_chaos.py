"""Chaos switches and the per-key rate limit (prism_sandbox/chaos.py): off by default,
set from settings or the environment, changed while the server runs; added latency,
injected errors (500, 503, 429 + Retry-After), dropped connections; API paths only.
Faults are observed with a raw client (requests), over real HTTP."""

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from prism_sandbox import chaos
from prism_sandbox.models import Record

from .conftest import assert_error, create

BROKEN = (requests.ConnectionError, requests.exceptions.ChunkedEncodingError)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def no_chaos():
    chaos.configure()
    yield
    chaos.configure()  # never leak faults into other tests


def timed(sandbox, method="GET", path="contact/count", **kwargs) -> tuple[float, requests.Response]:
    t0 = time.perf_counter()
    response = sandbox.request(method, path, **kwargs)
    return time.perf_counter() - t0, response


def contact_count(sandbox) -> int:
    return Record.objects.filter(team_id=sandbox.team_id, segment="contact").count()


def test_chaos_and_rate_limit_are_off_by_default(sandbox, settings):
    assert settings.PRISM_SANDBOX_CHAOS == {}
    assert not settings.PRISM_SANDBOX["RATE_LIMIT"]
    chaos.load_settings()
    assert chaos.current() == chaos.Chaos() and not chaos.current().active
    for _ in range(40):
        assert sandbox.request("GET", "contact/count").status_code == 200


def test_added_latency_is_measurable_and_changes_while_running(sandbox):
    baseline = min(timed(sandbox)[0] for _ in range(3))
    assert baseline < 0.3
    chaos.configure(latency_ms=600)
    slow = [timed(sandbox) for _ in range(3)]
    assert all(elapsed >= 0.6 and response.status_code == 200 for elapsed, response in slow)
    chaos.configure()
    assert min(timed(sandbox)[0] for _ in range(3)) < 0.3


def test_the_request_log_tells_requests_sent_together_from_requests_sent_in_turn(sandbox):
    from concurrent.futures import ThreadPoolExecutor

    chaos.configure(latency_ms=500)  # long beside any wait for a thread on a busy machine
    chaos.clear_request_log()
    with ThreadPoolExecutor(4) as pool:  # four at once: one round
        list(pool.map(lambda _: requests.get(sandbox.url("contact/count"), headers={"x-api-key": sandbox.api_key}, timeout=30), range(4)))
    together = chaos.request_log()
    assert len(together) == 4 and all(r.ended - r.started >= 0.5 for r in together)
    assert chaos.sequential_rounds(together) == 1
    chaos.clear_request_log()
    for _ in range(3):  # one after the other: three rounds
        sandbox.request("GET", "contact/count")
    assert chaos.sequential_rounds(chaos.request_log()) == 3
    assert chaos.sequential_rounds(together + chaos.request_log()) == 4
    assert chaos.sequential_rounds([]) == 0


@pytest.mark.parametrize(("status", "code"), [(500, "internal_error"), (503, "service_unavailable"), (429, "rate_limited")])
def test_an_error_rate_of_one_answers_the_chosen_status_before_doing_anything(sandbox, status, code):
    chaos.configure(error_rate=1, error_status=status, retry_after=7)
    read = sandbox.request("GET", "contact/count")
    assert_error(read, status, code)
    write = sandbox.request("POST", "contact", json={"default": {"first_name": "Ghost"}})
    assert_error(write, status, code)
    if status == 429:
        assert read.headers["Retry-After"] == "7" and write.headers["Retry-After"] == "7"
    assert contact_count(sandbox) == 0  # refused before the view ran
    chaos.configure()
    assert sandbox.request("GET", "contact/count").json() == {"total": 0}


def test_a_partial_error_rate_is_repeatable_with_a_seed(sandbox):
    def statuses() -> list[int]:
        chaos.configure(error_rate=0.5, error_status=503, seed=11)
        return [sandbox.request("GET", "contact/count").status_code for _ in range(30)]

    first = statuses()
    assert set(first) == {200, 503}
    assert statuses() == first


def test_a_dropped_connection_breaks_the_response_after_the_request_ran(sandbox):
    kept = create(sandbox, "contact", first_name="Kept")
    chaos.configure(drop_rate=1)
    with pytest.raises(BROKEN):
        sandbox.request("GET", f"contact/{kept['id']}")
    with pytest.raises(BROKEN):
        sandbox.request("POST", "contact", json={"default": {"first_name": "Dropped"}})
    with pytest.raises(BROKEN):  # no body to cut short: the connection goes before the headers
        sandbox.request("DELETE", f"contact/{kept['id']}")
    chaos.configure()
    names = sorted(r.properties["first_name"] for r in Record.objects.filter(team_id=sandbox.team_id, deleted_at__isnull=True))
    assert names == ["Dropped"]  # both writes happened: that is what a drop is


def test_chaos_never_touches_the_dashboards_own_pages(sandbox, live_server):
    chaos.configure(error_rate=1, error_status=500, latency_ms=1500, drop_rate=1)
    t0 = time.perf_counter()
    page = requests.get(f"{live_server.url}/admin/login/", timeout=10)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assert time.perf_counter() - t0 < 1.5
    assert_error(sandbox.request("GET", "contact/count"), 500)  # while the API fails (before any drop)


def test_chaos_from_settings_changes_while_running(sandbox, settings):
    settings.PRISM_SANDBOX_CHAOS = {"error_rate": 1, "error_status": 503}
    assert_error(sandbox.request("GET", "contact/count"), 503)
    settings.PRISM_SANDBOX_CHAOS = {"error_rate": 1, "error_status": 429, "retry_after": 3}
    limited = sandbox.request("GET", "contact/count")
    assert_error(limited, 429, "rate_limited")
    assert limited.headers["Retry-After"] == "3"
    settings.PRISM_SANDBOX_CHAOS = {}
    assert sandbox.request("GET", "contact/count").status_code == 200


def run_django(code: str, tmp_path, **env: str) -> str:
    """Run code in a fresh Django process configured from the environment only."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("PRISM_SANDBOX_CHAOS", "PRISM_SANDBOX_RATE_LIMIT")}
    full_env |= {
        "DJANGO_SETTINGS_MODULE": "dashboard.settings_test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        **env,
    }
    script = "import django\ndjango.setup()\nfrom django.test import Client\n" + code
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_chaos_and_rate_limit_come_from_the_environment(tmp_path):
    path = f"/sandbox/v2/prism/{uuid.uuid4()}/contact/count"
    code = f"r = [Client().get({path!r}) for _ in range(3)]\nprint([(x.status_code, x.get('Retry-After')) for x in r])"
    off = run_django(code, tmp_path)
    assert off == "[(401, None), (401, None), (401, None)]"  # no key: the view answers
    chaotic = run_django(code, tmp_path, PRISM_SANDBOX_CHAOS=json.dumps({"error_rate": 1, "error_status": 429, "retry_after": 9}))
    assert chaotic == "[(429, '9'), (429, '9'), (429, '9')]"
    limited = run_django(code, tmp_path, PRISM_SANDBOX_RATE_LIMIT="2/60")
    assert limited.startswith("[(401, None), (401, None), (429, '")
    pages = run_django("print(Client().get('/admin/login/').status_code)", tmp_path, PRISM_SANDBOX_CHAOS='{"error_rate": 1}')
    assert pages == "200"


def test_faults_are_visible_to_a_raw_client_and_the_data_survives(sandbox):
    before = [create(sandbox, "contact", first_name=f"Before{i}", score=i) for i in range(8)]
    etags = {r["id"]: sandbox.request("GET", f"contact/{r['id']}").headers["ETag"] for r in before}
    chaos.configure(latency_ms=20, error_rate=0.3, error_status=503, drop_rate=0.3, seed=5)

    seen = {"ok": 0, "injected_503": 0, "broken": 0}
    created: dict[str, str] = {}
    for i in range(12):
        wanted = f"During{i}"
        key = f"chaos-create-{i}"
        for _attempt in range(50):  # retried with the same Idempotency-Key until it answers
            try:
                t0 = time.perf_counter()
                response = sandbox.request("POST", "contact", headers={"Idempotency-Key": key}, json={"default": {"first_name": wanted}})
            except BROKEN:
                seen["broken"] += 1
                continue
            assert time.perf_counter() - t0 >= 0.02  # the latency is there on every answer
            if response.status_code == 503:
                assert_error(response, 503)
                seen["injected_503"] += 1
                continue
            assert response.status_code == 201, response.text
            seen["ok"] += 1
            created[wanted] = response.json()["id"]
            break
        reader = before[i % len(before)]
        try:
            got = sandbox.request("GET", f"contact/{reader['id']}")
        except BROKEN:
            seen["broken"] += 1
            continue
        if got.status_code == 503:
            seen["injected_503"] += 1
        else:
            assert got.status_code == 200 and got.json() == reader
    assert seen["ok"] >= 12 and seen["injected_503"] > 0 and seen["broken"] > 0, seen

    chaos.configure()
    for record in before:  # all there, unchanged
        response = sandbox.request("GET", f"contact/{record['id']}")
        assert response.status_code == 200
        assert response.headers["ETag"] == etags[record["id"]]
        assert response.json() == record
    names = sorted(r.properties["first_name"] for r in Record.objects.filter(team_id=sandbox.team_id))
    assert names == sorted([f"Before{i}" for i in range(8)] + [f"During{i}" for i in range(12)])  # each once
    assert sandbox.request("GET", "contact/count").json() == {"total": 20}


# --- rate limit ---------------------------------------------------------------------------


def test_the_rate_limit_is_per_key(sandbox, settings):
    settings.PRISM_SANDBOX = {**settings.PRISM_SANDBOX, "RATE_LIMIT": (3, 60)}
    other = sandbox.make_key(role="admin")
    for _ in range(3):
        assert sandbox.request("GET", "contact/count").status_code == 200
    limited = sandbox.request("GET", "contact/count")
    assert_error(limited, 429, "rate_limited")
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    write = sandbox.request("POST", "contact", json={"default": {"first_name": "Late"}})
    assert write.status_code == 429 and contact_count(sandbox) == 0
    assert sandbox.request("GET", "contact/count", key=other).status_code == 200  # another key is not limited
    settings.PRISM_SANDBOX = {**settings.PRISM_SANDBOX, "RATE_LIMIT": None}  # changed while running
    assert sandbox.request("GET", "contact/count").status_code == 200


def test_the_rate_limit_window_slides(sandbox, settings):
    settings.PRISM_SANDBOX = {**settings.PRISM_SANDBOX, "RATE_LIMIT": (2, 2)}
    assert [sandbox.request("GET", "contact/count").status_code for _ in range(3)] == [200, 200, 429]
    limited = sandbox.request("GET", "contact/count")
    retry_after = int(limited.headers["Retry-After"])
    assert 1 <= retry_after <= 2
    time.sleep(retry_after)  # what the server asked for, not a guess
    assert sandbox.request("GET", "contact/count").status_code == 200
