"""benchmarks/load_pages.py: the load benchmark's people read and send forms the way a browser does.

The benchmark's own start-up check saves once on each side; these tests keep the form
reader honest between runs: against snippets, and against the real edit pages (the
dashboard's, with the sandbox over HTTP, and Django admin's change form of benchmarks/admin_urls.py).
"""

from collections import defaultdict

import pytest
from django.contrib.auth import get_user_model

from benchmarks import load_pages
from dashboard.roles import Role
from prism_sandbox.models import Record

from .conftest import login

PAGE = """
<form method="post" action="/accounts/logout/"><input type="hidden" name="csrfmiddlewaretoken" value="other"></form>
<form method="post" class="card record-form" novalidate>
  <input type="hidden" name="csrfmiddlewaretoken" value="tok">
  <input type="text" name="first_name" value="Ada &amp; Co">
  <input type="checkbox" name="is_vip">
  <input type="checkbox" name="tags" value="vip" checked>
  <input type="checkbox" name="tags" value="partner" checked>
  <input type="text" name="locked" value="x" disabled>
  <select name="status"><option value="">—</option><option value="lead" selected>Lead</option></select>
  <select name="stage"><option value="prospect">Prospect</option><option value="won">Won</option></select>
  <select name="many" multiple><option value="a">A</option><option value="b" selected>B</option></select>
  <textarea name="notes">
line one
line two</textarea>
  <button type="submit" name="go" value="1">Save</button><input type="submit" name="also" value="Save">
</form>
"""


def as_post(fields: list[tuple[str, str]]) -> dict[str, list[str]]:
    data: dict[str, list[str]] = defaultdict(list)
    for name, value in fields:
        data[name].append(value)
    return dict(data)


def test_the_form_reader_sends_what_a_browser_sends():
    logout, record_form = load_pages.forms(PAGE)
    assert logout.fields == [("csrfmiddlewaretoken", "other")]
    assert record_form.fields == [
        ("csrfmiddlewaretoken", "tok"),
        ("first_name", "Ada & Co"),
        ("tags", "vip"),
        ("tags", "partner"),
        ("status", "lead"),
        ("stage", "prospect"),  # no option marked: a single select sends its first
        ("many", "b"),
        ("notes", "line one\nline two"),  # the newline after <textarea> is not part of the value
    ]
    assert load_pages.replaced(record_form.fields, "first_name", "Grace")[-1] == ("first_name", "Grace")
    assert ("first_name", "Ada & Co") not in load_pages.replaced(record_form.fields, "first_name", "Grace")


@pytest.fixture
def contact_id(prism) -> str:
    return str(Record.objects.filter(team_id=prism.team_id, segment="contact", deleted_at__isnull=True).values_list("id", flat=True)[0])


def test_the_dashboards_edit_form_read_back_saves_the_changed_title(client, prism, contact_id):
    editor = login(client, Role.EDITOR)
    side = load_pages.SIDES["dashboard"]
    page = editor.get(side.edit(contact_id))
    assert page.status_code == 200
    fields = side.edit_form(page.content.decode(), "Load tester 1")
    assert fields is not None and any(name == "state" for name, _ in fields)

    saved = editor.post(side.edit(contact_id), as_post(fields))

    assert side.save_outcome(saved.status_code, saved.get("Location", "")) == "saved", saved.content.decode()[:2000]
    response = prism.request("GET", f"contact/{contact_id}")
    assert response.json()["default"]["title"] == "Load tester 1"
    table = editor.get(side.page_one()).content.decode()
    following = side.next_page(table)  # 60 contacts, 25 a page
    assert side.table_ok(table) and following and following.startswith(f"{side.table}?") and "cursor" in following
    assert side.table_ok(editor.get(following).content.decode())
    assert side.table_ok(editor.get(side.filtered("lead")).content.decode())


def test_the_admins_change_form_read_back_saves_the_changed_title(client, prism, contact_id, settings):
    settings.ROOT_URLCONF = "benchmarks.admin_urls"
    settings.MICRO_TEAM_ID = prism.team_id
    client.force_login(get_user_model().objects.create_superuser("admin", "admin@example.com", "pw-for-tests-only"))
    side = load_pages.SIDES["admin"]
    page = client.get(side.edit(contact_id))
    assert page.status_code == 200
    fields = side.edit_form(page.content.decode(), "Load tester 2")
    assert fields is not None

    saved = client.post(side.edit(contact_id), as_post(fields))

    assert side.save_outcome(saved.status_code, saved.get("Location", "")) == "saved", saved.content.decode()[:2000]
    record = Record.objects.get(id=contact_id)
    assert record.properties["title"] == "Load tester 2"
    assert record.properties["first_name"]  # the other values went back as they were
    table = client.get(side.page_one()).content.decode()
    assert side.table_ok(table) and side.next_page(table) == f"{side.table}?p=2"
