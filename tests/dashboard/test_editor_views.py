"""Editing through the dashboard, against the sandbox over HTTP: If-Match, conflicts, trash, lookup, history."""

import re
from html import unescape

import pytest
from django.core import signing

from dashboard.editor_views import STATE_SALT
from dashboard.models import AuditEntry
from dashboard.roles import Role
from prism_sandbox import chaos

from .conftest import login


def api_record(prism, segment, record_id) -> dict:
    response = prism.request("GET", f"{segment}/{record_id}")
    assert response.status_code == 200, response.text
    return response.json()["default"]


def make_contact(prism, **props) -> str:
    response = prism.request("POST", "contact", json={"default": {"first_name": "Ada", "score": 10, **props}})
    assert response.status_code == 201
    return response.json()["id"]


def edit_form(client, record_id, segment: str = "contact") -> dict:
    """The edit form's fields as the browser would submit them untouched."""
    page = client.get(f"/records/{segment}/{record_id}/edit/")
    assert page.status_code == 200
    html = page.content.decode()
    data = {"state": re.search(r'name="state" value="([^"]+)"', html).group(1)}
    for name, value in re.findall(
        r'<input type="(?:text|email|url|number|date|datetime-local|hidden)" name="([a-z_]+)" value="([^"]*)"', html
    ):
        data.setdefault(name, unescape(value))
    for name in re.findall(r'<select name="([a-z_]+)"', html):
        selected = re.search(rf'<select name="{name}"[^>]*>.*?<option value="([^"]*)" selected', html, re.S)
        data[name] = selected.group(1) if selected else ""
    return data


def text(response) -> str:
    return unescape(response.content.decode())


def test_viewer_gets_no_write_views_and_sees_no_write_controls(viewer_client, prism):
    record_id = make_contact(prism)
    detail = text(viewer_client.get(f"/records/contact/{record_id}/"))
    assert "Ada" in detail and ">Edit<" not in detail and "Delete" not in detail
    assert viewer_client.get(f"/records/contact/{record_id}/edit/").status_code == 403
    assert viewer_client.post(f"/records/contact/{record_id}/delete/").status_code == 403
    assert viewer_client.get("/records/contact/new/").status_code == 403
    assert "New contact" not in text(viewer_client.get("/records/contact/"))


def test_create_with_an_invalid_email_shows_the_error_inline_and_creates_nothing(editor_client, prism):
    before = prism.request("GET", "contact/count").json()["total"]
    response = editor_client.post("/records/contact/new/", {"first_name": "Bo", "email": "not-an-email"})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'aria-describedby="id_email_error"' in html and 'id="id_email_error"' in html  # the error describes the input
    assert "valid email" in text(response)
    assert prism.request("GET", "contact/count").json()["total"] == before


def test_create_with_a_typed_reference_resolves_it_by_title(editor_client, prism):
    org = prism.request("POST", "organization", json={"default": {"name": "Unique Widgets Ltd"}}).json()["id"]
    response = editor_client.post(
        "/records/contact/new/", {"first_name": "Cy", "email": "cy@example.com", "organization__search": "Unique Widgets Ltd"}
    )
    assert response.status_code == 302
    record_id = response["Location"].rstrip("/").split("/")[-1]
    assert api_record(prism, "contact", record_id)["organization"]["id"] == org
    entry = AuditEntry.objects.get(action="create", record_id=record_id)
    assert entry.after["organization"] == org and entry.username == "editor"


def test_edit_sends_only_what_changed_with_if_match(editor_client, prism):
    record_id = make_contact(prism, status="lead", email="ada@example.com")
    data = edit_form(editor_client, record_id)
    data["score"] = "11"
    response = editor_client.post(f"/records/contact/{record_id}/edit/", data)
    assert response.status_code == 302, text(response)[:2000]
    assert api_record(prism, "contact", record_id)["score"] == 11
    entry = AuditEntry.objects.get(action="update", record_id=record_id, outcome="ok")
    assert entry.after == {"score": 11} and entry.before == {"score": 10}


def test_a_change_made_meanwhile_to_other_properties_merges_on_its_own(editor_client, prism):
    record_id = make_contact(prism, status="lead")
    data = edit_form(editor_client, record_id)
    prism.request("PATCH", f"contact/{record_id}", json={"default": {"status": "customer"}})
    data["score"] = "99"
    assert editor_client.post(f"/records/contact/{record_id}/edit/", data).status_code == 302
    saved = api_record(prism, "contact", record_id)
    assert (saved["score"], saved["status"]) == (99, "customer")


@pytest.mark.parametrize(("choice", "expected"), [("mine", 50), ("theirs", 77), ("edit", 61)])
def test_a_conflict_is_shown_field_by_field_and_saves_what_was_chosen(editor_client, prism, choice, expected):
    record_id = make_contact(prism, status="lead")
    data = edit_form(editor_client, record_id)
    prism.request("PATCH", f"contact/{record_id}", json={"default": {"score": 77, "status": "customer"}})
    data["score"] = "50"
    data["first_name"] = "Ada L."
    conflict = editor_client.post(f"/records/contact/{record_id}/edit/", data)
    assert conflict.status_code == 409
    html = conflict.content.decode()
    assert re.findall(r'data-conflict="([a-z_]+)"', html) == ["score"]  # exactly the conflicting field
    assert "First name" in text(conflict) and "will be kept" in text(conflict)
    state = re.search(r'name="state" value="([^"]+)"', html).group(1)
    resolved = editor_client.post(f"/records/contact/{record_id}/resolve/", {"state": state, "choice_score": choice, "edit-score": "61"})
    assert resolved.status_code == 302
    saved = api_record(prism, "contact", record_id)
    assert (saved["score"], saved["first_name"], saved["status"]) == (expected, "Ada L.", "customer")


def test_another_conflict_while_resolving_repeats_the_flow(editor_client, prism):
    record_id = make_contact(prism)
    data = edit_form(editor_client, record_id)
    prism.request("PATCH", f"contact/{record_id}", json={"default": {"score": 20}})
    data["score"] = "30"
    conflict = editor_client.post(f"/records/contact/{record_id}/edit/", data)
    state = re.search(r'name="state" value="([^"]+)"', conflict.content.decode()).group(1)
    prism.request("PATCH", f"contact/{record_id}", json={"default": {"score": 40}})
    again = editor_client.post(f"/records/contact/{record_id}/resolve/", {"state": state, "choice_score": "mine"})
    assert again.status_code == 409
    assert api_record(prism, "contact", record_id)["score"] == 40  # nothing overwritten unseen
    state = re.search(r'name="state" value="([^"]+)"', again.content.decode()).group(1)
    assert signing.loads(state, salt=STATE_SALT)["conflicts"][0][3] == 40  # theirs is the newest
    assert editor_client.post(f"/records/contact/{record_id}/resolve/", {"state": state, "choice_score": "mine"}).status_code == 302
    assert api_record(prism, "contact", record_id)["score"] == 30


def test_api_failure_mid_edit_keeps_the_input(editor_client, prism):
    record_id = make_contact(prism)
    data = edit_form(editor_client, record_id)
    data["first_name"] = "Typed but not saved"
    chaos.configure(error_rate=1.0, error_status=503)
    response = editor_client.post(f"/records/contact/{record_id}/edit/", data)
    chaos.configure()
    assert response.status_code == 503
    assert 'value="Typed but not saved"' in response.content.decode()
    assert "still here" in text(response)
    assert api_record(prism, "contact", record_id)["first_name"] == "Ada"


def test_delete_uses_if_match_and_undo_restores(editor_client, prism):
    record_id = make_contact(prism)
    etag = prism.request("GET", f"contact/{record_id}").headers["ETag"]
    prism.request("PATCH", f"contact/{record_id}", json={"default": {"score": 1}})
    stale = editor_client.post(f"/records/contact/{record_id}/delete/", {"etag": etag, "label": "Ada"}, follow=True)
    assert "changed since you opened it" in text(stale)
    assert prism.request("GET", f"contact/{record_id}").status_code == 200
    fresh = prism.request("GET", f"contact/{record_id}").headers["ETag"]
    deleted = editor_client.post(f"/records/contact/{record_id}/delete/", {"etag": fresh, "label": "Ada"}, follow=True)
    assert "Moved “Ada” to the trash" in text(deleted)
    assert prism.request("GET", f"contact/{record_id}").status_code == 404
    undo_url = f"/records/contact/{record_id}/restore/"
    assert f'action="{undo_url}"' in deleted.content.decode()
    editor_client.post(undo_url)
    assert prism.request("GET", f"contact/{record_id}").status_code == 200


def test_trash_lists_deleted_records_and_restores_them(editor_client, prism):
    record_id = make_contact(prism, first_name="Trashy")
    prism.request("DELETE", f"contact/{record_id}")
    trash = text(editor_client.get("/records/contact/?trash=1&cols=first_name"))
    assert "Trashy" in trash and "Restore Trashy" in trash
    detail = text(editor_client.get(f"/records/contact/{record_id}/"))
    assert "In the trash" in detail
    editor_client.post(f"/records/contact/{record_id}/restore/")
    assert "Restore Trashy" not in text(editor_client.get("/records/contact/?trash=1&cols=first_name"))


def test_duplicate_opens_the_copy(editor_client, prism):
    record_id = make_contact(prism, first_name="Twin")
    response = editor_client.post(f"/records/contact/{record_id}/duplicate/")
    copy_id = response["Location"].rstrip("/").split("/")[-2]
    assert copy_id != record_id and response["Location"].endswith("/edit/")
    assert api_record(prism, "contact", copy_id)["first_name"] == "Twin"


def test_lookup_by_email_one_several_none(editor_client, prism):
    one = make_contact(prism, email="one@example.com")
    found = editor_client.get("/lookup/?type=contact&slug=email&value=ONE@example.com")
    assert found.status_code == 302 and one in found["Location"]
    make_contact(prism, email="two@example.com", first_name="Twin A")
    make_contact(prism, email="two@example.com", first_name="Twin B")
    several = text(editor_client.get("/lookup/?type=contact&slug=email&value=two@example.com"))
    assert "2 records have email" in several and "Twin A" in several and "Twin B" in several
    none = text(editor_client.get("/lookup/?type=contact&slug=email&value=new@example.com"))
    assert "No contact has email" in none
    created = editor_client.post("/lookup/create/", {"type": "contact", "slug": "email", "value": "new@example.com"})
    new_id = created["Location"].rstrip("/").split("/")[-2]
    assert api_record(prism, "contact", new_id)["email"] == "new@example.com"


def test_history_tab_and_audit_page(editor_client, prism, client):
    record_id = make_contact(prism)
    data = edit_form(editor_client, record_id)
    data["score"] = "12"
    editor_client.post(f"/records/contact/{record_id}/edit/", data)
    history = changes_text(editor_client.get(f"/records/contact/{record_id}/history/"))
    # The property's label, and its value before → after (as the table shows them).
    assert "editor" in history and "Score: 10 → changed to 12" in history
    assert editor_client.get("/audit/").status_code == 403
    admin = login(client, Role.ADMIN)
    audit = changes_text(admin.get("/audit/?user=editor&type=contact"))
    assert "Score: 10 → changed to 12" in audit
    assert "Score:" not in changes_text(admin.get("/audit/?type=deal"))


def changes_text(response) -> str:
    """The page's text without its tags, spaces joined (as a person reads it)."""
    return " ".join(re.sub(r"<[^>]+>", "", text(response)).split())
