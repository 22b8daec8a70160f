"""Inline cell editing over HTTP against the sandbox: which cells are editable, the version
read when an edit starts, one If-Match PATCH a save, merges and conflicts, the audit trail,
and the API calls each step costs (counted at the sandbox)."""

import re
import time
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from dashboard.models import AuditEntry
from dashboard.roles import Role
from prism_sandbox import chaos
from tests.conftest import connect_key

from .conftest import login

TABLE = "/records/contact/?cols=first_name,status,score,organization.name,created_at"


@pytest.fixture
def editor_client(client, prism):
    return login(client, Role.EDITOR)


@pytest.fixture
def other_editor(prism, editor_client):
    """Ana, a second Editor in a client (session) of her own."""
    user = get_user_model().objects.create_user(username="ana", password="pw-for-tests-only")
    user.groups.set([Group.objects.get(name=Role.EDITOR.value)])
    connect_key(user, prism.api_key)
    other = Client()
    other.force_login(user)
    return other


def make_contact(prism, **props) -> str:
    response = prism.request("POST", "contact", json={"default": {"first_name": "Ada", "score": 10, "status": "lead", **props}})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def api_record(prism, record_id) -> dict:
    return prism.request("GET", f"contact/{record_id}").json()["default"]


def api_calls(prism) -> list[tuple[str, str]]:
    prefix = f"/sandbox/v2/prism/{prism.team_id}/"
    return [(call.method, call.path.removeprefix(prefix)) for call in prism.logged_requests()]


def cell(record_id: str, slug: str) -> str:
    return f"/records/contact/{record_id}/cell/{slug}/"


def open_cell(client, record_id: str, slug: str) -> dict:
    """The cell editor's form as the browser would submit it untouched."""
    response = client.get(cell(record_id, slug))
    assert response.status_code == 200, response.content
    html = response.content.decode()
    return {"state": re.search(r'name="state" value="([^"]+)"', html).group(1)}


def text(response) -> str:
    return unescape(response.content.decode())


def test_which_columns_are_editable_in_place():
    from dashboard.cells import Column
    from dashboard.inline_editing import editable_column
    from prism_client import PropertyDefinition

    def col(path: str, type_: str = "text", **options) -> Column:
        return Column(path, path, PropertyDefinition(slug=path.rsplit(".", 1)[-1], name=path, type=type_, **options), None, True)

    assert editable_column(col("first_name")) and editable_column(col("score", "number"))
    assert editable_column(col("tags", "multiselect")) and editable_column(col("is_vip", "boolean"))
    assert not editable_column(col("organization.name"))  # another record's value
    assert not editable_column(col("organization", "reference", target="organization"))  # its picker needs room
    assert not editable_column(col("updated_at", "datetime"))  # a system property
    assert not editable_column(col("external_ref", read_only=True))
    assert not editable_column(col("hologram", "hologram"))  # a type this dashboard does not know
    assert not editable_column(Column("gone", "gone", None, None, False))  # not in the schema


def test_editable_cells_are_the_own_writable_columns_for_people_who_may_change(editor_client, prism, client):
    record_id = make_contact(prism)
    html = editor_client.get(TABLE + "&q=Ada&size=50").content.decode()
    columns = set(re.findall(rf'data-edit-url="/records/contact/{record_id}/cell/([a-z_]+)/"', html))
    # Not a related column (organization.name), not a system property (created_at).
    assert columns == {"first_name", "status", "score"}
    assert 'id="cell-edit-hint"' in html
    # In the trash nothing is edited in place.
    assert "data-edit-url" not in editor_client.get(TABLE + "&trash=1").content.decode()
    # A Viewer's table marks no cell, and the editor itself is refused.
    viewer = login(Client(), Role.VIEWER)
    assert "data-edit-url" not in viewer.get(TABLE).content.decode()
    assert viewer.get(cell(record_id, "score")).status_code == 403
    # A property that is not edited in a cell (a reference, a system one) has no editor.
    assert editor_client.get(cell(record_id, "organization")).status_code == 404
    assert editor_client.get(cell(record_id, "created_at")).status_code == 404
    assert editor_client.get("/records/event/00000000-0000-4000-8000-000000000001/cell/title/").status_code == 404


def test_a_save_is_one_if_match_patch_after_one_version_read_and_is_audited(editor_client, prism):
    record_id = make_contact(prism)
    editor_client.get(TABLE)  # a warm schema cache
    chaos.clear_request_log()
    data = open_cell(editor_client, record_id, "score")
    assert api_calls(prism) == [("GET", f"contact/{record_id}")]  # the version read

    chaos.clear_request_log()
    response = editor_client.post(cell(record_id, "score"), {**data, "score": "42"})
    assert response.status_code == 200
    assert "data-cell-editor" not in text(response) and "42" in text(response) and "Saved." in text(response)
    assert api_calls(prism) == [("PATCH", f"contact/{record_id}")]
    assert api_record(prism, record_id)["score"] == 42

    entry = AuditEntry.objects.get(record_id=record_id, action=AuditEntry.Action.UPDATE)
    assert (entry.username, entry.before, entry.after, entry.outcome, entry.record_repr) == (
        "editor",
        {"score": 10},
        {"score": 42},
        AuditEntry.Outcome.OK,
        "Ada",
    )


def test_the_patch_carries_the_version_read_when_the_edit_started(editor_client, prism):
    record_id = make_contact(prism)
    data = open_cell(editor_client, record_id, "first_name")
    # Someone changes the same property through the API after the edit started: the
    # PATCH's If-Match is the older version, so the API refuses it and nothing is lost.
    assert prism.request("PATCH", f"contact/{record_id}", json={"default": {"first_name": "Ann"}}).status_code == 200
    response = editor_client.post(cell(record_id, "first_name"), {**data, "first_name": "Ada L."})
    assert response.status_code == 409
    assert api_record(prism, record_id)["first_name"] == "Ann"


def test_a_change_to_another_property_meanwhile_merges(editor_client, other_editor, prism):
    record_id = make_contact(prism)
    mine = open_cell(editor_client, record_id, "score")
    theirs = open_cell(other_editor, record_id, "status")
    assert other_editor.post(cell(record_id, "status"), {**theirs, "status": "customer"}).status_code == 200

    chaos.clear_request_log()
    response = editor_client.post(cell(record_id, "score"), {**mine, "score": "77"})
    assert response.status_code == 200
    assert "Changes made meanwhile to other properties were kept." in text(response)
    # The 412 carries the current record: merged without another read.
    assert api_calls(prism) == [("PATCH", f"contact/{record_id}")] * 2
    saved = api_record(prism, record_id)
    assert (saved["score"], saved["status"]) == (77, "customer")


def test_a_change_to_the_same_property_waits_for_a_choice(editor_client, other_editor, prism):
    record_id = make_contact(prism)
    mine = open_cell(editor_client, record_id, "score")
    theirs = open_cell(other_editor, record_id, "score")
    assert other_editor.post(cell(record_id, "score"), {**theirs, "score": "20"}).status_code == 200

    response = editor_client.post(cell(record_id, "score"), {**mine, "score": "30"})
    assert response.status_code == 409
    html = text(response)
    words = re.sub(r"<[^>]+>", "", html)
    assert re.search(r"ana saved a change at \d\d:\d\d:\d\d UTC\. Nothing has been overwritten", words)
    assert re.search(r"data-theirs>.*20.*</dd>", html) and re.search(r"data-mine>.*30.*</dd>", html)
    assert api_record(prism, record_id)["score"] == 20  # nothing written yet
    conflict = AuditEntry.objects.get(username="editor", outcome=AuditEntry.Outcome.CONFLICT)
    assert conflict.after == {"score": 30}

    state = {"state": re.search(r'name="state" value="([^"]+)"', html).group(1)}
    taken = editor_client.post(cell(record_id, "score"), {**state, "choice": "theirs"})
    assert taken.status_code == 200 and "Kept their value" in text(taken)
    assert api_record(prism, record_id)["score"] == 20

    kept = editor_client.post(cell(record_id, "score"), {**state, "choice": "mine"})
    assert kept.status_code == 200 and "Saved." in text(kept)
    assert api_record(prism, record_id)["score"] == 30
    assert AuditEntry.objects.filter(username="editor", outcome=AuditEntry.Outcome.OK, after={"score": 30}).exists()


def test_a_bad_value_is_a_sentence_in_the_cell_and_nothing_is_sent(editor_client, prism):
    record_id = make_contact(prism)
    data = open_cell(editor_client, record_id, "score")
    chaos.clear_request_log()
    response = editor_client.post(cell(record_id, "score"), {**data, "score": "lots"})
    assert response.status_code == 422
    assert 'role="alert"' in text(response) and "Enter a number." in text(response)
    assert 'aria-invalid="true"' in text(response)
    assert api_calls(prism) == []
    # A forged or expired state is a sentence too, not a 500.
    forged = editor_client.post(cell(record_id, "score"), {"state": "nonsense", "score": "1"})
    assert forged.status_code == 400 and "expired" in text(forged)


def test_a_record_deleted_meanwhile_is_said_in_the_cell(editor_client, prism):
    record_id = make_contact(prism)
    data = open_cell(editor_client, record_id, "status")
    assert prism.request("DELETE", f"contact/{record_id}").status_code == 204
    response = editor_client.post(cell(record_id, "status"), {**data, "status": "customer"})
    assert response.status_code == 404
    assert "This record was deleted meanwhile; nothing was saved." in text(response)
    assert editor_client.get(cell(record_id, "status")).status_code == 404


def timed_edits(client, prism, record_id: str, rounds: int) -> tuple[list[float], list[float]]:
    """Seconds to open the score cell and to save it, `rounds` times, each costing exactly one API call."""
    opened, saved = [], []
    for round_ in range(rounds):
        chaos.clear_request_log()
        start = time.perf_counter()
        data = open_cell(client, record_id, "score")
        opened.append(time.perf_counter() - start)
        assert api_calls(prism) == [("GET", f"contact/{record_id}")]  # the version read
        chaos.clear_request_log()
        start = time.perf_counter()
        response = client.post(cell(record_id, "score"), {**data, "score": str(100 + round_)})
        saved.append(time.perf_counter() - start)
        assert response.status_code == 200
        assert api_calls(prism) == [("PATCH", f"contact/{record_id}")]  # one If-Match PATCH
    return opened, saved


def test_inline_save_costs_one_round_trip_with_100ms_latency(editor_client, prism, capsys):
    """The figure in docs/performance.md: with 100 ms added to every API request, opening
    a cell costs the version read (one GET) and saving it one PATCH."""
    record_id = make_contact(prism)
    editor_client.get(TABLE)  # a warm schema cache
    base_open, base_save = timed_edits(editor_client, prism, record_id, 5)
    chaos.configure(latency_ms=100)
    try:
        slow_open, slow_save = timed_edits(editor_client, prism, record_id, 5)
    finally:
        chaos.configure()
    # One sequential call each: the latency is added once, not twice (best of five, so a
    # busy moment of a shared machine does not decide; two calls would add 200 ms at least).
    assert min(slow_open) >= 0.1 and min(slow_save) >= 0.1
    assert min(slow_open) - min(base_open) < 0.2 and min(slow_save) - min(base_save) < 0.2

    def ms(seconds: list[float]) -> str:
        return f"median {sorted(seconds)[2] * 1000:.0f} ms, best {min(seconds) * 1000:.0f} ms"

    with capsys.disabled():
        print(f"\ninline edit, no latency: open {ms(base_open)}; save {ms(base_save)}")
        print(f"inline edit, 100 ms latency: open {ms(slow_open)}; save {ms(slow_save)}")


def test_the_apis_refusal_is_said_in_the_cell(prism):
    """A person whose own Prism key may read a deal but not write it: the dashboard role
    allows the edit, the API refuses it, and its sentence shows in place."""
    deal = prism.request("POST", "deal", json={"default": {"name": "Read only deal"}}).json()["id"]
    grant = {"team_id": {prism.team_id: "r"}, "user_id": [], "team_group_id": []}
    assert prism.request("PUT", f"deal/{deal}/grant", json=grant).status_code == 200
    editor = login(Client(), Role.EDITOR)
    connect_key(get_user_model().objects.get(username="editor"), prism.make_key(user_id="c0ffee00-0000-4000-8000-0000000000ee"))
    response = editor.get(f"/records/deal/{deal}/cell/name/")
    assert response.status_code == 200
    state = re.search(r'name="state" value="([^"]+)"', response.content.decode()).group(1)
    refused = editor.post(f"/records/deal/{deal}/cell/name/", {"state": state, "name": "Mine now"})
    assert refused.status_code == 403
    assert 'role="alert"' in text(refused) and "data-cell-editor" in text(refused)  # the input stays, with why
    assert prism.request("GET", f"deal/{deal}").json()["default"]["name"] == "Read only deal"
    assert AuditEntry.objects.get(record_id=deal).outcome == AuditEntry.Outcome.FAILED
