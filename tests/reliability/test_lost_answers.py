"""A write whose every answer is lost (the API did it; the dashboard saw a broken
connection on each retry) is told to the person as a failure; doing it again from the
page they were shown replays the first write instead of repeating it."""

import uuid
from html import unescape

import pytest

import dashboard.settings as production_settings
from dashboard.roles import Role
from prism_sandbox import chaos

from .conftest import login


@pytest.fixture
def editor(client, prism, settings):
    settings.PRISM_MAX_RETRIES = production_settings.PRISM_MAX_RETRIES
    login(client, Role.EDITOR)
    yield client
    chaos.configure()


def named(prism, first_name: str) -> list[dict]:
    body = {"query": {"select": ["first_name"], "filter": [{"first_name": {"=": first_name}}], "limit": 50}}
    response = prism.request("POST", "contact/query", json=body)
    assert response.status_code == 200
    return response.json()["data"]


def test_creating_again_after_lost_answers_makes_one_record(editor, prism):
    name = f"Lost {uuid.uuid4().hex[:8]}"
    form = editor.get("/records/contact/new/")
    data = {"first_name": name, "state": form.context["state"]}
    chaos.configure(drop_rate=1.0)
    failed = editor.post("/records/contact/new/", data)
    chaos.configure()
    assert failed.status_code == 503 and "cannot be reached" in unescape(failed.content.decode())
    assert len(named(prism, name)) == 1  # it did happen
    data["state"] = failed.context["state"]  # the page's hidden field, as the browser sends it
    again = editor.post("/records/contact/new/", data)
    assert again.status_code == 302
    (record,) = named(prism, name)
    assert again["Location"] == f"/records/contact/{record['id']}/"


def test_a_new_form_or_other_values_create_again(editor, prism):
    name = f"Twice {uuid.uuid4().hex[:8]}"
    for _ in range(2):  # two forms opened one after the other: two records meant
        state = editor.get("/records/contact/new/").context["state"]
        assert editor.post("/records/contact/new/", {"first_name": name, "state": state}).status_code == 302
    assert len(named(prism, name)) == 2
    state = editor.get("/records/contact/new/").context["state"]
    for suffix in ("a", "b"):  # one form, corrected and sent again: each version is its own create
        assert editor.post("/records/contact/new/", {"first_name": f"{name}{suffix}", "state": state}).status_code == 302
        assert len(named(prism, f"{name}{suffix}")) == 1


def test_starting_an_import_again_after_lost_answers_imports_once(editor, prism):
    name = f"Imported {uuid.uuid4().hex[:8]}"
    upload = editor.post("/import/contact/", {"text": f"first_name\n{name}\n"})
    run_url = upload["Location"]
    chaos.configure(drop_rate=1.0)
    failed = editor.post(run_url, {"col0": "first_name", "dedupe_by": "", "action": "import"})
    chaos.configure()
    told = unescape(failed.content.decode())
    assert failed.status_code == 503 and "Whether the rows went in is not known; importing again is safe" in told
    assert len(named(prism, name)) == 1  # it did happen
    again = editor.post(run_url, {"col0": "first_name", "dedupe_by": "", "action": "import"})
    assert again.status_code == 302
    results = unescape(editor.get(run_url).content.decode())
    assert "Import finished" in results and 'data-count="created">1<' in results
    (record,) = named(prism, name)
    assert f"/records/contact/{record['id']}/" in results
