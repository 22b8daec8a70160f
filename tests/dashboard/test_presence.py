"""Edit presence (dashboard/presence.py): who has a record open, kept in Django's cache,
gone PRESENCE_TTL seconds after a person's last heartbeat or at once when they leave."""

import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client

from dashboard import presence
from dashboard.roles import Role

from .conftest import login

RECORD = "c0ffee00-0000-4000-8000-000000000001"
OTHER_RECORD = "c0ffee00-0000-4000-8000-000000000002"


@pytest.fixture
def people(db):
    cache.clear()
    make = get_user_model().objects.create_user
    yield make("ana"), make("bo"), make("cy")
    cache.clear()


def test_production_expiry_is_within_30_seconds_and_outlasts_the_heartbeat():
    assert settings.PRESENCE_TTL <= 30
    assert settings.PRESENCE_HEARTBEAT < 5  # another person shows within 5 s: one poll, and its answer
    assert settings.PRESENCE_HEARTBEAT * 2 <= settings.PRESENCE_TTL  # one late heartbeat does not drop anyone


def test_others_see_who_has_the_record_open_and_not_themselves(people):
    ana, bo, cy = people
    presence.beat("contact", RECORD, ana, presence.EDITING, now=1000)
    presence.beat("contact", RECORD, cy, presence.VIEWING, now=1000)
    seen_by_bo = presence.others("contact", RECORD, bo, now=1001)
    assert [(p.name, p.mode) for p in seen_by_bo] == [("ana", "editing"), ("cy", "viewing")]  # editors first
    assert [p.sentence for p in seen_by_bo] == ["ana is editing this record", "cy is viewing this record"]
    assert [p.name for p in presence.others("contact", RECORD, ana, now=1001)] == ["cy"]
    assert presence.others("contact", OTHER_RECORD, bo, now=1001) == []
    assert presence.others("deal", RECORD, bo, now=1001) == []


def test_a_person_is_gone_ttl_seconds_after_their_last_heartbeat(people, settings):
    ana, bo, _ = people
    settings.PRESENCE_TTL = 25
    presence.beat("contact", RECORD, ana, presence.VIEWING, now=1000)
    assert [p.name for p in presence.others("contact", RECORD, bo, now=1025)] == ["ana"]
    assert presence.others("contact", RECORD, bo, now=1025.5) == []
    # A heartbeat keeps them: the expiry counts from the last one.
    presence.beat("contact", RECORD, ana, presence.EDITING, now=1020)
    assert [p.mode for p in presence.others("contact", RECORD, bo, now=1040)] == ["editing"]


def test_expired_people_are_dropped_when_the_entry_is_written(people, settings):
    ana, bo, cy = people
    settings.PRESENCE_TTL = 25
    presence.beat("contact", RECORD, ana, presence.VIEWING, now=1000)
    presence.beat("contact", RECORD, bo, presence.VIEWING, now=1030)
    assert set(cache.get(presence.key("contact", RECORD))) == {bo.pk}
    assert presence.others("contact", RECORD, cy, now=1031)[0].name == "bo"


def test_leaving_is_at_once_and_the_last_one_out_removes_the_entry(people):
    ana, bo, cy = people
    presence.beat("contact", RECORD, ana, presence.VIEWING, now=1000)
    presence.beat("contact", RECORD, cy, presence.VIEWING, now=1000)
    presence.leave("contact", RECORD, ana, now=1001)
    assert [p.name for p in presence.others("contact", RECORD, bo, now=1001)] == ["cy"]
    presence.leave("contact", RECORD, cy, now=1001)
    assert cache.get(presence.key("contact", RECORD)) is None
    presence.leave("contact", RECORD, bo, now=1001)  # never there: nothing happens


def test_an_unknown_mode_counts_as_viewing(people):
    ana, bo, _ = people
    presence.beat("contact", RECORD, ana, "<script>", now=1000)
    assert presence.others("contact", RECORD, bo, now=1000)[0].mode == presence.VIEWING


def test_editing_rows_names_only_the_other_editors_of_the_rows_asked(people):
    ana, bo, cy = people
    presence.beat("contact", RECORD, ana, presence.EDITING, now=1000)
    presence.beat("contact", RECORD, cy, presence.EDITING, now=1000)
    presence.beat("contact", OTHER_RECORD, cy, presence.VIEWING, now=1000)
    marked = presence.editing_rows("contact", [RECORD, OTHER_RECORD, "c0ffee00-0000-4000-8000-000000000003"], bo, now=1001)
    assert {rid: [p.name for p in found] for rid, found in marked.items()} == {RECORD: ["ana", "cy"]}
    assert presence.sentence(marked[RECORD]) == "ana and cy are editing this record"
    assert presence.editing_rows("contact", [RECORD], ana, now=1001)[RECORD][0].name == "cy"
    assert presence.editing_rows("contact", [], bo) == {}


# --- over HTTP ----------------------------------------------------------------------------


def make_contact(prism) -> str:
    response = prism.request("POST", "contact", json={"default": {"first_name": "Zed", "score": 1}})
    assert response.status_code == 201
    return response.json()["id"]


def test_the_record_page_heartbeat_shows_the_others_and_leave_needs_csrf(prism):
    record_id = make_contact(prism)
    viewer = login(Client(), Role.VIEWER)
    editor = login(Client(enforce_csrf_checks=True), Role.EDITOR)
    page = editor.get(f"/records/contact/{record_id}/edit/").content.decode()
    assert f'hx-post="/records/contact/{record_id}/presence/"' in page and '"mode": "editing"' in page
    token = re.search(r'data-csrf="([^"]+)"', page).group(1)
    assert editor.post(f"/records/contact/{record_id}/presence/", {"mode": "editing", "csrfmiddlewaretoken": token}).status_code == 200

    answer = viewer.post(f"/records/contact/{record_id}/presence/", {"mode": "viewing"})
    assert answer.status_code == 200
    assert "editor is editing this record" in answer.content.decode()
    assert 'data-presence-person="editing"' in answer.content.decode()

    # Leaving (the page's beacon) is a write: refused without the CSRF token, at once with it.
    leave = f"/records/contact/{record_id}/presence/leave/"
    assert editor.post(leave).status_code == 403
    assert editor.post(leave, {"csrfmiddlewaretoken": token}).status_code == 204
    assert "is editing" not in viewer.post(f"/records/contact/{record_id}/presence/", {"mode": "viewing"}).content.decode()


def test_the_table_marks_the_rows_someone_is_editing_in_place(prism):
    record_id = make_contact(prism)
    editor = login(Client(), Role.EDITOR)
    viewer = login(Client(), Role.VIEWER)
    table = "/records/contact/?q=Zed&cols=first_name,score"
    assert "data-row-editing" not in viewer.get(table).content.decode()
    assert editor.get(f"/records/contact/{record_id}/cell/score/").status_code == 200  # a cell editor opened
    html = viewer.get(table).content.decode()
    assert re.search(r'data-row-editing title="editor is editing this record"', html)
    # Saving ends the edit.
    state = re.search(r'name="state" value="([^"]+)"', editor.get(f"/records/contact/{record_id}/cell/score/").content.decode())
    assert editor.post(f"/records/contact/{record_id}/cell/score/", {"state": state.group(1), "score": "2"}).status_code == 200
    assert "data-row-editing" not in viewer.get(table).content.decode()
