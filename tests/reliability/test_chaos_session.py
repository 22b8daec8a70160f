"""A person's session under chaos: the sandbox answers 20 % 503s, 5 % 429s with
Retry-After, 300 ms of latency and a few % dropped connections (the write done, the
answer lost), while an Editor browses, filters, opens records, edits them (the
signed-state edit form), bulk-edits selected records, creates records and imports a
CSV through the wizard. The dashboard's client retries (PRISM_MAX_RETRIES at its
default). A second writer changes other properties of the same records through the API.

Every page is a success or carries one of dashboard.errors.describe's sentences,
never a 500; every failed action is told to the person, who does it again; and once
the chaos stops, the API holds no duplicate record and no lost update: each edited
property has the value of the last save the person was told succeeded, and the other
writer's values survive.

Deterministic: one seed drives the chaos and the script. Bounded: SESSION_STEPS steps.
"""

import random
import re
import time
import uuid
from collections import Counter
from html import unescape
from urllib.parse import urlencode

import pytest

import dashboard.settings as production_settings
from dashboard.roles import Role
from prism_sandbox import chaos

from .conftest import login

SEED = 20250611
SESSION_STEPS = 80
PATIENCE = 8  # times a person tries one action again before the test gives up on it
CHAOS = {"error_mix": {503: 0.20, 429: 0.05}, "retry_after": 1, "latency_ms": 300, "drop_rate": 0.03}
# dashboard.errors.describe's sentences for what chaos does (5xx, 429, broken connections, timeouts)
SENTENCE = re.compile(
    r"The Prism API (had a problem answering|is busy \(too many requests\)|cannot be reached right now|took too long to answer)"
)
HX = {"HX-Request": "true"}


def page_text(response) -> str:
    return unescape(response.content.decode())


class Person:
    """An Editor with a browser-like test Client; every response is checked as it arrives."""

    def __init__(self, client, sandbox, marker: str) -> None:
        self.client = client
        self.sandbox = sandbox
        self.marker = marker
        self.pages: Counter = Counter()
        self.failures_told: list[str] = []

    def check(self, response, *, htmx: bool = False) -> bool:
        """True when the page is a success, False when it tells of an API failure; else the test fails."""
        body = page_text(response)
        assert response.status_code != 500 and "Traceback" not in body, body[:2000]
        self.pages[response.status_code] += 1
        if response.status_code == 503:
            match = SENTENCE.search(body)
            assert match, f"a 503 page without a sentence: {body[:2000]}"
            self.failures_told.append(match[0])
            return False
        assert response.status_code < 500, (response.status_code, body[:2000])
        if htmx and response.get("HX-Retarget") == "#messages":
            assert 'role="alert"' in body and SENTENCE.search(body), body
            self.failures_told.append(SENTENCE.search(body)[0])
            return False
        return True

    def get(self, url: str, **kwargs):
        response = self.client.get(url, **kwargs)
        return response, self.check(response, htmx=bool(kwargs.get("headers")))

    def post(self, url: str, data: dict):
        response = self.client.post(url, data)
        return response, self.check(response)

    def until_done(self, what: str, attempt) -> object:
        """Do an action again while the page says it failed, as a person would."""
        for _ in range(PATIENCE):
            result = attempt()
            if result is not None:
                return result
        pytest.fail(f"{what}: still failing after {PATIENCE} tries")


def api_write(sandbox, method: str, path: str, body: dict) -> dict:
    """Another writer, straight to the API: retried with one Idempotency-Key until it lands."""
    import requests

    key = f"other-writer-{uuid.uuid4()}"
    deadline = time.monotonic() + 60
    while True:
        try:
            response = sandbox.request(method, path, json=body, headers={"Idempotency-Key": key})
            if response.status_code < 300:
                return response.json()
            assert response.status_code in (429, 503), response.text
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
            pass
        assert time.monotonic() < deadline, f"{method} {path} never landed"
        time.sleep(0.05)


def all_rows(sandbox, last_name: str) -> list[dict]:
    rows, cursor = [], None
    select = ["first_name", "last_name", "title", "score", "notes"]
    while True:
        body = {"query": {"select": select, "filter": [{"last_name": {"=": last_name}}], "limit": 50}}
        response = sandbox.request("POST", "contact/query", json={**body, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        data = response.json()
        rows += data["data"]
        if not data["has_more"]:
            return rows
        cursor = data["next_cursor"]


def form_data(form) -> dict:
    """What the form as shown would post back, untouched."""
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None or field.disabled:
            continue
        data[form.add_prefix(name)] = [str(v) for v in value] if isinstance(value, list) else str(value)
    return data


@pytest.fixture
def session(client, prism, settings):
    settings.PRISM_MAX_RETRIES = production_settings.PRISM_MAX_RETRIES  # the default: the client retries
    assert settings.PRISM_MAX_RETRIES >= 2
    login(client, Role.EDITOR)
    person = Person(client, prism, f"Chaos{uuid.uuid4().hex[:8]}")
    yield person
    chaos.configure()


def test_a_session_under_chaos_loses_nothing_and_duplicates_nothing(session):
    person, sandbox, marker = session, session.sandbox, session.marker
    script = random.Random(SEED)
    # Records to work on, made before the chaos starts.
    targets = [
        api_write(
            sandbox, "POST", "contact", {"default": {"first_name": f"Target {i}", "last_name": marker, "title": "start", "score": 0}}
        )["id"]
        for i in range(6)
    ]
    saved_title = dict.fromkeys(targets, "start")  # what the person was last told was saved
    saved_score = dict.fromkeys(targets, 0)
    their_notes = dict.fromkeys(targets)  # the other writer's values
    created: list[str] = []  # names the person created (form) or imported (wizard)
    told = {"edit": 0, "bulk": 0, "create": 0, "import": 0}

    def start_chaos(step: int) -> None:
        chaos.configure(**CHAOS, seed=SEED + step)

    # --- the actions ------------------------------------------------------------------

    def browse(step: int) -> None:
        params = script.choice(
            [
                {},
                {"f0": "last_name", "o0": "=", "v0": marker},
                {"f0": "last_name", "o0": "=", "v0": marker, "sort": "-score", "total": "1"},
                {"q": "Target", "size": "10"},
                {"f0": "score", "o0": "between", "v0": ["1", "500"], "sort": "score"},
                {"f0": "status", "o0": "in", "v0": ["lead", "customer"], "combinator": "OR", "f1": "is_vip", "o1": "=", "v1": "true"},
                {"size": "10", "sort": "first_name"},
            ]
        )
        url = f"/records/contact/?{urlencode(params, doseq=True)}"
        htmx = script.random() < 0.4
        response, ok = person.get(url, **({"headers": HX} if htmx else {}))
        if not ok:
            return
        assert response.status_code == 200
        if params.get("v0") == marker:
            assert all(t in page_text(response) for t in targets)  # the filter found them all
        next_url = response.context["next_url"] if response.context else None
        if next_url and not htmx and script.random() < 0.5:
            person.get(f"/records/contact/{next_url}")  # the next page, by its cursor

    def detail(step: int) -> None:
        target = script.choice(targets)
        response, ok = person.get(f"/records/contact/{target}/")
        if ok:
            assert response.status_code == 200 and f"Target {targets.index(target)}" in page_text(response)

    def edit(step: int, *, burst: bool = False) -> None:
        target = script.choice(targets)

        def open_form():
            response, ok = person.get(f"/records/contact/{target}/edit/")
            return response if ok else None

        form_page = person.until_done("open the edit form", open_form)
        data = {**form_data(form_page.context["form"]), "state": form_page.context["state"]}
        new_title = f"title {step}"
        data["title"] = new_title
        if script.random() < 0.4:  # meanwhile, someone else changes another property
            their_notes[target] = f"their notes {step}"
            api_write(sandbox, "PATCH", f"contact/{target}", {"default": {"notes": their_notes[target]}})
        if burst:
            chaos.configure(drop_rate=1.0)  # the save lands, every answer to it is lost

        def save():
            response, ok = person.post(f"/records/contact/{target}/edit/", data)
            if burst:
                start_chaos(step)
            if not ok:
                told["edit"] += 1
                assert "Your changes are still here" in page_text(response)
                assert f'value="{new_title}"' in page_text(response)  # what the person typed is kept
                return None
            assert response.status_code == 302, page_text(response)[:2000]  # no conflict: different properties
            assert response["Location"] == f"/records/contact/{target}/"
            return response

        person.until_done("save the edit", save)
        saved_title[target] = new_title

    def bulk(step: int, *, burst: bool = False) -> None:
        chosen = script.sample(targets, script.randint(2, 4))
        value = script.randint(1, 999)
        data = {
            "action": "set",
            "scope": "selected",
            "ids": chosen,
            "slug": "score",
            "value": str(value),
            "confirm": "1",
            "query_string": "",
        }
        if burst:
            chaos.configure(drop_rate=1.0)

        def run():
            response, ok = person.post("/records/contact/bulk/", data)
            if burst:
                start_chaos(step)
            if not ok:
                told["bulk"] += 1
                return None
            assert response.status_code == 302 and response["Location"].startswith("/bulk/"), page_text(response)[:2000]
            job_page, ok = person.get(response["Location"])  # no API call: the job is the dashboard's
            assert ok
            body = page_text(job_page)
            if 'data-status="complete"' in body:
                assert f"{len(chosen)} succeeded, 0 failed." in body
                return job_page
            assert 'data-status="failed"' in body and "It stopped early:" in body and SENTENCE.search(body), body[:3000]
            told["bulk"] += 1
            return None

        person.until_done("bulk edit", run)
        for t in chosen:
            saved_score[t] = value

    def create(step: int, *, burst: bool = False) -> None:
        name = f"Created {step}"
        form_page = person.until_done(
            "open the create form", lambda: (lambda r: r[0] if r[1] else None)(person.get("/records/contact/new/"))
        )
        data = {"first_name": name, "last_name": marker}
        if form_page.context.get("state"):
            data["state"] = form_page.context["state"]
        if burst:
            chaos.configure(drop_rate=1.0)

        def submit():
            response, ok = person.post("/records/contact/new/", data)
            if burst:
                start_chaos(step)
            if not ok:
                told["create"] += 1
                assert f'value="{name}"' in page_text(response)  # the form comes back filled in
                # Submitting again sends what the page holds now (its hidden fields too).
                if response.context.get("state"):
                    data["state"] = response.context["state"]
                return None
            assert response.status_code == 302 and re.fullmatch(r"/records/contact/[0-9a-f-]{36}/", response["Location"]), page_text(
                response
            )[:2000]
            return response

        person.until_done("create", submit)
        created.append(name)

    def import_csv(step: int, *, burst: bool = False) -> None:
        names = [f"Imported {step}.{i}" for i in range(3)]
        csv_text = "first_name,last_name\n" + "".join(f"{n},{marker}\n" for n in names)

        def upload():
            response, ok = person.post("/import/contact/", {"text": csv_text})
            if not ok:
                return None
            assert response.status_code == 302, page_text(response)[:2000]
            return response["Location"]

        run_url = person.until_done("upload the CSV", upload)
        data = {"col0": "first_name", "col1": "last_name", "dedupe_by": "", "action": "import"}
        if burst:
            chaos.configure(drop_rate=1.0)

        def start():
            response, ok = person.post(run_url, data)
            if burst:
                start_chaos(step)
            if not ok:
                told["import"] += 1
                # Refused: nothing went in; no answer at all: perhaps it did, and again is safe.
                assert "Nothing was imported." in page_text(response) or "importing again is safe" in page_text(response)
                return None
            assert response.status_code == 302 and response["Location"] == run_url, page_text(response)[:2000]
            return response

        person.until_done("import", start)
        results, ok = person.get(run_url)  # a finished run: no API call
        assert ok and "Import finished" in page_text(results) and 'data-count="created">3<' in page_text(results)
        created.extend(names)

    # --- the session ------------------------------------------------------------------

    actions = [(browse, 30), (detail, 15), (edit, 20), (bulk, 10), (create, 10), (import_csv, 5)]
    # One of each write whose every answer is lost, at fixed steps: the person is told it
    # failed although it happened, and does it again.
    bursts = {12: edit, 25: create, 38: bulk, 51: import_csv}
    started = time.monotonic()
    start_chaos(0)
    for step in range(SESSION_STEPS):
        if step in bursts:
            bursts[step](step, burst=True)
            continue
        action = script.choices([a for a, _ in actions], weights=[w for _, w in actions])[0]
        action(step)
    chaos.configure()
    elapsed = time.monotonic() - started

    # --- afterwards, through the API ------------------------------------------------
    log = Counter(call.status for call in session.sandbox.logged_requests())
    assert log[503] and log[429], log  # the chaos was real
    assert person.failures_told, "no failure reached the person: the chaos was too mild to test anything"
    assert all(told.values()), told  # every kind of write failed at least once (the bursts see to it)
    rows = all_rows(sandbox, marker)
    names = Counter(r["properties"]["first_name"] for r in rows)
    duplicates = {n: c for n, c in names.items() if c > 1}
    assert not duplicates, f"duplicate records: {duplicates}"
    assert set(names) == {f"Target {i}" for i in range(6)} | set(created)
    by_id = {r["id"]: r["properties"] for r in rows}
    for t in targets:
        props = by_id[t]
        assert props.get("title") == saved_title[t], ("lost edit", t)
        assert props.get("score") == saved_score[t], ("lost bulk edit", t)
        assert props.get("notes") == their_notes[t], ("the other writer's change was overwritten", t)
    print(
        f"\n{SESSION_STEPS} steps in {elapsed:.0f} s; pages by status {dict(person.pages)}; "
        f"API answers {dict(log)}; failures told {Counter(person.failures_told)}; writes told failed {told}"
    )
