"""Rough edges from a new user's walk (issue 15, part 7), over HTTP against the sandbox: the
table's head follows the Trash toggle, an empty trash says so, a saved view is the page's
title, delete goes back to the table it came from, the import preview lists every row that
cannot be imported, "all matching" states its count, Admins open any import run from the
audit trail, and the header names the team rather than showing its UUID."""

import re
from html import unescape

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile

from dashboard.models import AuditEntry, ImportRun, SavedView
from dashboard.roles import Role

from ..conftest import login

HX = {"HX-Request": "true"}
LIST = "/records/contact/"


def text(response) -> str:
    html = unescape(response.content.decode())
    assert "<<MISSING" not in html  # string_if_invalid: every template variable is set
    return html


def page_head(html: str) -> str:
    return re.search(r'<div class="page-head" id="page-head".*?</div>', html, re.S)[0]


def test_the_table_head_follows_the_trash_toggle_and_an_empty_trash_says_so(client, prism):
    editor = login(client, Role.EDITOR)
    head = page_head(text(editor.get(LIST)))
    assert "New contact" in head and "Import CSV" in head and "Trash" not in head

    fragment = text(editor.get(LIST + "?trash=1", headers=HX))  # the htmx swap of the table
    head = page_head(fragment)
    assert 'hx-swap-oob="true"' in head
    assert '<span class="badge">Trash</span>' in head
    assert "New contact" not in head and "Import CSV" not in head
    assert "The trash is empty: no contacts have been deleted." in fragment

    back = text(editor.get(LIST, headers=HX))
    assert "New contact" in page_head(back) and "Trash</span>" not in page_head(back)
    whole = text(editor.get(LIST + "?trash=1"))  # a whole page holds one head, not two
    assert whole.count('id="page-head"') == 1 and "hx-swap-oob" not in page_head(whole)


def test_a_saved_view_is_the_page_title_with_its_controls_at_the_top(client, prism):
    editor = login(client, Role.EDITOR)
    response = editor.post(f"{LIST}views/", {"name": "Hot leads", "query_string": "f0=status&o0=%3D&v0=lead", "next": LIST})
    view = SavedView.objects.get(name="Hot leads")
    html = text(editor.get(response["Location"]))
    assert re.search(r"<h1>Hot leads", html)
    assert "<title>Hot leads · Contacts" in html
    # the view's controls come before the table; its query follows the table (form="edit-view-form")
    assert html.index('id="edit-view-form"') < html.index('id="results"')
    assert re.search(r'name="query_string" value="[^"]*v0=lead[^"]*" form="edit-view-form"', html)

    # a shared view opened by someone else: its name, not its controls
    view.shared = True
    view.save()
    client.logout()
    other = login(client, Role.VIEWER)
    html = text(other.get(f"{LIST}?view={view.pk}&{view.query_string}"))
    assert re.search(r"<h1>Hot leads", html) and 'id="edit-view-form"' not in html


def test_delete_goes_back_to_the_table_the_record_was_opened_from(client, prism):
    editor = login(client, Role.EDITOR)
    table = LIST + "?f0=status&o0=%3D&v0=lead&sort=-score"
    row = editor.get(table).context["page"].rows[0]
    detail = editor.get(f"{LIST}{row.id}/", headers={"Referer": f"http://testserver{table}"})
    assert detail.context["back_url"] == table
    html = text(detail)
    assert f'<input type="hidden" name="next" value="{table.replace("&", "&amp;")}">' in detail.content.decode()
    etag = detail.context["etag"]
    response = editor.post(f"{LIST}{row.id}/delete/", {"etag": etag, "label": "x", "next": table})
    assert response.status_code == 302 and response["Location"] == table
    # from anywhere else (another site, another type's table): the table's first page
    elsewhere = editor.get(
        f"{LIST}{editor.get(LIST).context['page'].rows[0].id}/", headers={"Referer": "https://evil.example/records/contact/"}
    )
    assert elsewhere.context["back_url"] == LIST
    assert "Contacts</a>" in html


def test_the_import_preview_lists_every_row_that_cannot_be_imported(client, prism):
    editor = login(client, Role.EDITOR)
    lines = ["first_name,score"] + [f"Ok{i},{i}" if i not in (3, 15, 40) else f"Bad{i},many" for i in range(1, 46)]
    response = editor.post("/import/contact/", {"file": SimpleUploadedFile("p.csv", "\n".join(lines).encode(), content_type="text/csv")})
    run = ImportRun.objects.get()
    page = editor.get(response["Location"])
    html = text(page)
    assert [row.number for row in page.context["shown_rows"]] == [*range(1, 11), 15, 40]
    assert "then every later row that cannot be imported" in html
    for name in ("Bad3", "Bad15", "Bad40"):
        assert name in html
    assert "Ok20" not in html
    assert run.pk


def test_all_matching_states_how_many_records_it_changes(client, prism):
    editor = login(client, Role.EDITOR)
    leads = editor.get(LIST + "?f0=status&o0=%3D&v0=lead&total=1").context["page"].total
    response = editor.post(f"{LIST}bulk/", {"action": "delete", "scope": "all", "query_string": "f0=status&o0=%3D&v0=lead"})
    assert response.status_code == 200
    assert f"all {leads} contacts matching the table's filters" in text(response)


def test_admins_open_any_import_run_from_the_audit_trail(client, prism):
    editor = login(client, Role.EDITOR)
    response = editor.post("/import/contact/", {"file": SimpleUploadedFile("p.csv", b"first_name\nAda\nGrace\n", content_type="text/csv")})
    run = ImportRun.objects.get()
    data = {f"col{i}": run.mapping.get(c, "") for i, c in enumerate(run.headers)} | {"dedupe_by": "", "action": "import"}
    assert editor.post(response["Location"], data).status_code == 302
    entry = AuditEntry.objects.get(action=AuditEntry.Action.IMPORT)
    assert entry.after["import_run"] == str(run.pk)
    client.logout()

    admin = login(client, Role.ADMIN)
    audit = text(admin.get("/audit/"))
    assert f'href="/imports/{run.pk}/"' in audit
    assert admin.get(f"/imports/{run.pk}/").status_code == 200
    client.logout()
    another = get_user_model().objects.create_user("another-editor")
    another.groups.set([Group.objects.get(name=Role.EDITOR.value)])
    client.force_login(another)
    assert client.get(f"/imports/{run.pk}/").status_code == 404  # not theirs, not an Admin


def test_the_header_names_the_team_not_its_uuid(client, prism, settings):
    viewer = login(client, Role.VIEWER)
    html = text(viewer.get("/me/"))
    team = re.search(r'<span class="team"[^>]*>(.*?)</span>', html, re.S)[1]
    assert prism.team_id not in team and team.strip().startswith("Sandbox team")
    settings.MICRO_TEAM_NAME = "Acme sales"
    team = re.search(r'<span class="team"[^>]*>(.*?)</span>', text(viewer.get("/me/")), re.S)[1]
    assert team.strip().startswith("Acme sales")
